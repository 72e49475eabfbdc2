//! Python literals: tf_keras 2.21 writes a custom Bidirectional `backward_layer` as the repr of
//! a Python dict (`{'class_name': 'SimpleRNN', 'config': DictWrapper({...})}`).

use super::*;

/// Parse a Python literal (dicts, lists, tuples, strings, numbers, `True`/`False`/`None`, and
/// wrapper calls like `DictWrapper({...})`, read as their single argument) into JSON.
pub(crate) fn parse_python_literal(s: &str) -> Option<Value> {
    let mut p = PyParser {
        s: s.as_bytes(),
        i: 0,
        depth: 0,
    };
    let v = p.value()?;
    p.ws();
    (p.i == p.s.len()).then_some(v)
}

struct PyParser<'a> {
    s: &'a [u8],
    i: usize,
    depth: u32,
}

impl PyParser<'_> {
    fn ws(&mut self) {
        while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }
    fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.s.get(self.i).copied()
    }
    fn eat(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    fn value(&mut self) -> Option<Value> {
        self.depth += 1;
        if self.depth > 64 {
            return None;
        }
        let v = self.value_inner();
        self.depth -= 1;
        v
    }
    fn value_inner(&mut self) -> Option<Value> {
        match self.peek()? {
            b'{' => {
                self.i += 1;
                let mut map = serde_json::Map::new();
                loop {
                    if self.eat(b'}') {
                        break;
                    }
                    let key = match self.value()? {
                        Value::String(k) => k,
                        other => other.to_string(),
                    };
                    if !self.eat(b':') {
                        return None;
                    }
                    let v = self.value()?;
                    map.insert(key, v);
                    if !self.eat(b',') {
                        if !self.eat(b'}') {
                            return None;
                        }
                        break;
                    }
                }
                Some(Value::Object(map))
            }
            open @ (b'[' | b'(') => {
                self.i += 1;
                let close = if open == b'[' { b']' } else { b')' };
                let mut items = Vec::new();
                loop {
                    if self.eat(close) {
                        break;
                    }
                    items.push(self.value()?);
                    if !self.eat(b',') {
                        if !self.eat(close) {
                            return None;
                        }
                        break;
                    }
                }
                Some(Value::Array(items))
            }
            q @ (b'\'' | b'"') => {
                self.i += 1;
                let mut out = Vec::new();
                while self.i < self.s.len() && self.s[self.i] != q {
                    if self.s[self.i] == b'\\' && self.i + 1 < self.s.len() {
                        self.i += 1;
                    }
                    out.push(self.s[self.i]);
                    self.i += 1;
                }
                if self.i >= self.s.len() {
                    return None;
                }
                self.i += 1;
                Some(Value::String(String::from_utf8_lossy(&out).into_owned()))
            }
            c if c == b'-' || c == b'+' || c == b'.' || c.is_ascii_digit() => {
                let start = self.i;
                while self.i < self.s.len()
                    && matches!(
                        self.s[self.i],
                        b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E'
                    )
                {
                    self.i += 1;
                }
                let text = std::str::from_utf8(&self.s[start..self.i]).ok()?;
                if let Ok(i) = text.parse::<i64>() {
                    Some(Value::from(i))
                } else {
                    text.parse::<f64>()
                        .ok()
                        .map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number))
                }
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                let start = self.i;
                while self.i < self.s.len()
                    && (self.s[self.i].is_ascii_alphanumeric()
                        || matches!(self.s[self.i], b'_' | b'.'))
                {
                    self.i += 1;
                }
                let word = std::str::from_utf8(&self.s[start..self.i]).ok()?;
                if self.peek() == Some(b'(') {
                    // A wrapper call: `DictWrapper({...})`, `ListWrapper([...])`.
                    self.i += 1;
                    if self.eat(b')') {
                        return Some(Value::Null);
                    }
                    let inner = self.value()?;
                    if !self.eat(b')') {
                        return None;
                    }
                    return Some(inner);
                }
                Some(match word {
                    "True" | "true" => Value::Bool(true),
                    "False" | "false" => Value::Bool(false),
                    "None" | "null" => Value::Null,
                    other => Value::String(other.to_string()),
                })
            }
            _ => None,
        }
    }
}
