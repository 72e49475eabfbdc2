//! Python pickle streams (protocols 0–5), read without unpickling: the opcodes are run on a
//! model of the unpickler's stack that builds no object, so every global the stream imports
//! (`GLOBAL`, `STACK_GLOBAL`, `INST`) and every call it makes (`REDUCE`, `OBJ`, `NEWOBJ`,
//! `BUILD`) is seen, as picklescan and fickling see them. NumPy arrays rebuilt by
//! `numpy.core.multiarray._reconstruct` yield their shape and dtype.
//!
//! Stand-alone (std only). Bounded: values live in one arena of at most [`MAX_NODES`] nodes,
//! referenced by index, so a memo entry pushed a million times costs a million indices, not
//! copies; nothing recurses over the values built.

use std::fmt;

/// Values the model of the stack holds at most (each opcode makes at most one).
pub const MAX_NODES: usize = 1 << 20;

/// One global the stream imports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Import {
    /// The module (`numpy.core.multiarray`, `os`); empty when the stream gave only a name.
    pub module: String,
    /// The attribute imported from it (`_reconstruct`, `system`).
    pub name: String,
    /// The opcode that imported it (`GLOBAL`, `STACK_GLOBAL`, `INST`, ...).
    pub opcode: &'static str,
}

impl Import {
    /// `module.name` (just `name` without a module).
    pub fn qualified(&self) -> String {
        if self.module.is_empty() {
            self.name.clone()
        } else {
            format!("{}.{}", self.module, self.name)
        }
    }
}

/// A NumPy array rebuilt by the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Array {
    /// The array's shape, outermost dimension first.
    pub shape: Vec<u64>,
    /// NumPy-style name (`float32`, `int64`, `object`), or the stored type string.
    pub dtype: String,
    /// Bytes of data the stream stores for it.
    pub data_bytes: Option<u64>,
}

/// What a pickle stream does, as far as it could be read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scan {
    /// The protocol of the first `PROTO` opcode; `None` for protocols 0 and 1, which have none.
    pub protocol: Option<u8>,
    /// Every global imported, in stream order.
    pub imports: Vec<Import>,
    /// Arrays in the order the stream completes them (`BUILD` of a `_reconstruct` result).
    pub arrays: Vec<Array>,
    /// Bytes read up to and including `STOP`.
    pub length: usize,
    /// Why the read stopped before `STOP`, when it did (the imports seen so far stay valid).
    pub error: Option<PickleError>,
}

/// Where and why a stream could not be read further.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PickleError {
    /// The byte of the stream where reading stopped.
    pub offset: usize,
    /// Why.
    pub message: String,
}

impl fmt::Display for PickleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at byte {}: {}", self.offset, self.message)
    }
}

#[derive(Debug, Clone)]
enum Node {
    None,
    Bool,
    Int(i64),
    /// An integer outside i64, a float, or anything whose value does not matter here.
    Other,
    Str(String),
    Bytes(u64),
    Tuple(Vec<usize>),
    List(Vec<usize>),
    Dict,
    Global(String, String),
    /// The result of a call (REDUCE, NEWOBJ, OBJ, INST) other than an array's.
    Call,
    /// An array under construction (`_reconstruct`), or a dtype (`numpy.dtype(...)`).
    Array,
    Dtype(String),
}

struct Machine<'a> {
    data: &'a [u8],
    pos: usize,
    nodes: Vec<Node>,
    stack: Vec<usize>,
    marks: Vec<usize>,
    memo: std::collections::HashMap<u64, usize>,
    scan: Scan,
}

/// Reads a pickle stream from the start of `data`.
pub fn scan(data: &[u8]) -> Scan {
    let mut m = Machine {
        data,
        pos: 0,
        nodes: Vec::new(),
        stack: Vec::new(),
        marks: Vec::new(),
        memo: std::collections::HashMap::new(),
        scan: Scan::default(),
    };
    if let Err(message) = m.run() {
        m.scan.error = Some(PickleError {
            offset: m.pos,
            message,
        });
    }
    m.scan
}

/// Whether bytes open like a pickle of any protocol and read to `STOP` with at least one
/// import or call: the test for a pickle with no `PROTO` header (protocols 0 and 1).
pub fn looks_like_pickle(data: &[u8]) -> bool {
    if data.len() >= 2 && data[0] == 0x80 && data[1] <= 5 {
        return true;
    }
    let s = scan(data);
    s.error.is_none() && !s.imports.is_empty()
}

type Step = Result<(), String>;

impl Machine<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], String> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.data.len())
            .ok_or_else(|| format!("truncated: {n} bytes wanted"))?;
        let out = &self.data[self.pos..end];
        self.pos = end;
        Ok(out)
    }

    fn uint(&mut self, n: usize) -> Result<u64, String> {
        let bytes = self.take(n)?;
        Ok(bytes
            .iter()
            .rev()
            .fold(0u64, |acc, &b| (acc << 8) | u64::from(b)))
    }

    fn sized(&mut self, n: usize) -> Result<&[u8], String> {
        let len = self.uint(n)?;
        let len = usize::try_from(len).map_err(|_| "length past memory".to_string())?;
        self.take(len)
    }

    fn line(&mut self) -> Result<&[u8], String> {
        let rest = &self.data[self.pos..];
        let end = rest
            .iter()
            .position(|&b| b == b'\n')
            .ok_or("unterminated line")?;
        self.pos += end + 1;
        let line = &rest[..end];
        Ok(line.strip_suffix(b"\r").unwrap_or(line))
    }

    fn node(&mut self, node: Node) -> Result<usize, String> {
        if self.nodes.len() >= MAX_NODES {
            return Err(format!("more than {MAX_NODES} values"));
        }
        self.nodes.push(node);
        Ok(self.nodes.len() - 1)
    }

    fn push(&mut self, node: Node) -> Step {
        let id = self.node(node)?;
        self.stack.push(id);
        Ok(())
    }

    fn pop(&mut self) -> Result<usize, String> {
        let floor = self.marks.last().copied().unwrap_or(0);
        if self.stack.len() <= floor {
            return Err("stack underflow".into());
        }
        self.stack.pop().ok_or_else(|| "stack underflow".into())
    }

    fn pop_mark(&mut self) -> Result<Vec<usize>, String> {
        let mark = self.marks.pop().ok_or("no mark")?;
        Ok(self.stack.split_off(mark.min(self.stack.len())))
    }

    fn top(&self) -> Result<usize, String> {
        let floor = self.marks.last().copied().unwrap_or(0);
        if self.stack.len() <= floor {
            return Err("stack underflow".into());
        }
        self.stack
            .last()
            .copied()
            .ok_or_else(|| "empty stack".into())
    }

    fn import(
        &mut self,
        module: String,
        name: String,
        opcode: &'static str,
    ) -> Result<usize, String> {
        self.scan.imports.push(Import {
            module: module.clone(),
            name: name.clone(),
            opcode,
        });
        self.node(Node::Global(module, name))
    }

    fn text(bytes: &[u8]) -> String {
        String::from_utf8_lossy(bytes).into_owned()
    }

    fn string_of(&self, id: usize) -> Option<&str> {
        match &self.nodes[id] {
            Node::Str(s) => Some(s),
            _ => None,
        }
    }

    fn call(&mut self, callable: usize, args: usize) -> Step {
        let node = match &self.nodes[callable] {
            Node::Global(m, n) if is_reconstruct(m, n) => Node::Array,
            Node::Global(m, n) if is_numpy(m) && n == "dtype" => {
                let first = match &self.nodes[args] {
                    Node::Tuple(items) => items.first().and_then(|&i| self.string_of(i)),
                    _ => None,
                };
                Node::Dtype(first.unwrap_or("?").to_string())
            }
            _ => Node::Call,
        };
        self.push(node)
    }

    /// `BUILD` on an array: state `(version, shape, dtype, fortran, data)`.
    fn build(&mut self, target: usize, state: usize) {
        if !matches!(self.nodes[target], Node::Array) {
            return;
        }
        let Node::Tuple(items) = &self.nodes[state] else {
            return;
        };
        let (shape, dtype, data) = match items.as_slice() {
            [_, shape, dtype, _, data] => (*shape, *dtype, *data),
            [shape, dtype, _, data] => (*shape, *dtype, *data),
            _ => return,
        };
        let Node::Tuple(dims) = &self.nodes[shape] else {
            return;
        };
        let dims: Option<Vec<u64>> = dims
            .iter()
            .map(|&d| match self.nodes[d] {
                Node::Int(n) => u64::try_from(n).ok(),
                _ => None,
            })
            .collect();
        let dtype = match &self.nodes[dtype] {
            Node::Dtype(d) => numpy_dtype(d),
            _ => "?".to_string(),
        };
        let data_bytes = match self.nodes[data] {
            Node::Bytes(n) => Some(n),
            _ => None,
        };
        if let Some(shape) = dims {
            self.scan.arrays.push(Array {
                shape,
                dtype,
                data_bytes,
            });
        }
    }

    fn run(&mut self) -> Step {
        loop {
            let op = *self.take(1)?.first().ok_or("empty")?;
            match op {
                b'.' => {
                    self.scan.length = self.pos;
                    return Ok(());
                }
                b'(' => self.marks.push(self.stack.len()),
                b'0' => {
                    self.pop()?;
                }
                b'1' => {
                    self.pop_mark()?;
                }
                b'2' => {
                    let top = self.top()?;
                    self.stack.push(top);
                }
                b'F' | b'L' => {
                    self.line()?;
                    self.push(Node::Other)?;
                }
                b'I' => {
                    let line = Self::text(self.line()?);
                    let node = match line.as_str() {
                        "00" | "01" => Node::Bool,
                        n => n.trim().parse().map_or(Node::Other, Node::Int),
                    };
                    self.push(node)?;
                }
                b'G' => {
                    self.take(8)?;
                    self.push(Node::Other)?;
                }
                b'J' => {
                    let n = self.uint(4)? as u32 as i32;
                    self.push(Node::Int(i64::from(n)))?;
                }
                b'K' => {
                    let n = self.uint(1)?;
                    self.push(Node::Int(n as i64))?;
                }
                b'M' => {
                    let n = self.uint(2)?;
                    self.push(Node::Int(n as i64))?;
                }
                0x8a | 0x8b => {
                    let bytes = self.sized(if op == 0x8a { 1 } else { 4 })?;
                    let node = if bytes.len() <= 8 {
                        let mut v = bytes
                            .iter()
                            .rev()
                            .fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
                        if bytes.last().is_some_and(|b| b & 0x80 != 0) && bytes.len() < 8 {
                            v |= u64::MAX << (8 * bytes.len());
                        }
                        Node::Int(v as i64)
                    } else {
                        Node::Other
                    };
                    self.push(node)?;
                }
                b'N' => self.push(Node::None)?,
                0x88 | 0x89 => self.push(Node::Bool)?,
                b'P' => {
                    self.line()?;
                    self.persistent()?;
                }
                b'Q' => {
                    self.pop()?;
                    self.persistent()?;
                }
                b'S' => {
                    let line = self.line()?;
                    let s = Self::text(line.strip_prefix(b"'").unwrap_or(line));
                    let s = s.strip_suffix('\'').unwrap_or(&s).to_string();
                    self.push(Node::Str(s))?;
                }
                b'V' => {
                    let s = Self::text(self.line()?);
                    self.push(Node::Str(s))?;
                }
                b'T' | b'X' | 0x8d | b'U' | 0x8c => {
                    let width = match op {
                        b'U' | 0x8c => 1,
                        0x8d => 8,
                        _ => 4,
                    };
                    let s = Self::text(self.sized(width)?);
                    self.push(Node::Str(s))?;
                }
                b'B' | b'C' | 0x8e | 0x96 => {
                    let width = match op {
                        b'C' => 1,
                        b'B' => 4,
                        _ => 8,
                    };
                    let n = self.sized(width)?.len() as u64;
                    self.push(Node::Bytes(n))?;
                }
                0x97 | 0x98 => {
                    if op == 0x97 {
                        self.push(Node::Other)?;
                    } else {
                        self.top()?;
                    }
                }
                b')' => self.push(Node::Tuple(Vec::new()))?,
                b't' => {
                    let items = self.pop_mark()?;
                    self.push(Node::Tuple(items))?;
                }
                0x85..=0x87 => {
                    let n = usize::from(op - 0x84);
                    let mut items = Vec::with_capacity(n);
                    for _ in 0..n {
                        items.push(self.pop()?);
                    }
                    items.reverse();
                    self.push(Node::Tuple(items))?;
                }
                b']' => self.push(Node::List(Vec::new()))?,
                b'l' => {
                    let items = self.pop_mark()?;
                    self.push(Node::List(items))?;
                }
                b'}' | 0x8f => self.push(Node::Dict)?,
                b'd' | 0x91 => {
                    self.pop_mark()?;
                    self.push(Node::Dict)?;
                }
                b'a' => {
                    let item = self.pop()?;
                    let list = self.top()?;
                    if let Node::List(items) = &mut self.nodes[list]
                        && items.len() < MAX_NODES
                    {
                        items.push(item);
                    }
                }
                b'e' => {
                    let new = self.pop_mark()?;
                    let list = self.top()?;
                    if let Node::List(items) = &mut self.nodes[list]
                        && items.len().saturating_add(new.len()) <= MAX_NODES
                    {
                        items.extend(new);
                    }
                }
                b's' => {
                    self.pop()?;
                    self.pop()?;
                    self.top()?;
                }
                b'u' | 0x90 => {
                    self.pop_mark()?;
                    self.top()?;
                }
                b'g' => {
                    let key = Self::text(self.line()?);
                    let key = key.trim().parse().map_err(|_| "bad GET key")?;
                    self.get(key)?;
                }
                b'h' => {
                    let key = self.uint(1)?;
                    self.get(key)?;
                }
                b'j' => {
                    let key = self.uint(4)?;
                    self.get(key)?;
                }
                b'p' => {
                    let key = Self::text(self.line()?);
                    let key = key.trim().parse().map_err(|_| "bad PUT key")?;
                    self.put(key)?;
                }
                b'q' => {
                    let key = self.uint(1)?;
                    self.put(key)?;
                }
                b'r' => {
                    let key = self.uint(4)?;
                    self.put(key)?;
                }
                0x94 => {
                    let key = self.memo.len() as u64;
                    self.put(key)?;
                }
                b'c' | b'i' => {
                    let module = Self::text(self.line()?);
                    let name = Self::text(self.line()?);
                    if op == b'c' {
                        let id = self.import(module, name, "GLOBAL")?;
                        self.stack.push(id);
                    } else {
                        let id = self.import(module, name, "INST")?;
                        let args = self.pop_mark()?;
                        let args = self.node(Node::Tuple(args))?;
                        self.call(id, args)?;
                    }
                }
                0x93 => {
                    let name = self.pop()?;
                    let module = self.pop()?;
                    let (module, name) = match (self.string_of(module), self.string_of(name)) {
                        (Some(m), Some(n)) => (m.to_string(), n.to_string()),
                        _ => ("<computed>".to_string(), "<computed>".to_string()),
                    };
                    let id = self.import(module, name, "STACK_GLOBAL")?;
                    self.stack.push(id);
                }
                0x82..=0x84 => {
                    let code = self.uint(1 << (op - 0x82))?;
                    let id = self.import("copyreg".into(), format!("<extension {code}>"), "EXT")?;
                    self.stack.push(id);
                }
                b'R' => {
                    let args = self.pop()?;
                    let callable = self.pop()?;
                    self.call(callable, args)?;
                }
                0x81 => {
                    let args = self.pop()?;
                    let class = self.pop()?;
                    self.call(class, args)?;
                }
                0x92 => {
                    self.pop()?;
                    let args = self.pop()?;
                    let class = self.pop()?;
                    self.call(class, args)?;
                }
                b'o' => {
                    let mut items = self.pop_mark()?;
                    if items.is_empty() {
                        return Err("OBJ without a class".into());
                    }
                    let class = items.remove(0);
                    let args = self.node(Node::Tuple(items))?;
                    self.call(class, args)?;
                }
                b'b' => {
                    let state = self.pop()?;
                    let target = self.top()?;
                    self.build(target, state);
                }
                0x80 => {
                    let protocol = self.uint(1)? as u8;
                    if protocol > 5 {
                        return Err(format!("unsupported protocol {protocol}"));
                    }
                    self.scan.protocol.get_or_insert(protocol);
                }
                0x95 => {
                    self.take(8)?;
                }
                other => return Err(format!("unknown opcode 0x{other:02x}")),
            }
        }
    }

    fn persistent(&mut self) -> Step {
        // persistent_load is the unpickler's own hook (torch uses it): named like a global so
        // that it is judged like one.
        let id = self.import(String::new(), "persistent_load".into(), "PERSID")?;
        self.stack.push(id);
        Ok(())
    }

    fn get(&mut self, key: u64) -> Step {
        let id = *self.memo.get(&key).ok_or("memo key not set")?;
        if self.stack.len() >= MAX_NODES {
            return Err(format!("more than {MAX_NODES} stack entries"));
        }
        self.stack.push(id);
        Ok(())
    }

    fn put(&mut self, key: u64) -> Step {
        let top = self.top()?;
        if self.memo.len() >= MAX_NODES && !self.memo.contains_key(&key) {
            return Err(format!("more than {MAX_NODES} memo entries"));
        }
        self.memo.insert(key, top);
        Ok(())
    }
}

fn is_numpy(module: &str) -> bool {
    module == "numpy" || module.starts_with("numpy.")
}

/// The functions NumPy pickles arrays with (`ndarray.__reduce__`), numpy 1.x and 2.x.
fn is_reconstruct(module: &str, name: &str) -> bool {
    matches!(module, "numpy.core.multiarray" | "numpy._core.multiarray") && name == "_reconstruct"
}

/// A NumPy dtype string (`f4`, `<f8`, `O8`, `float32`) as kerascope names dtypes.
pub(crate) fn numpy_dtype(code: &str) -> String {
    let bare = code.trim_start_matches(['<', '>', '|', '=']);
    let name = match bare {
        "f2" | "e" => "float16",
        "f4" | "f" => "float32",
        "f8" | "d" => "float64",
        "i1" | "b" => "int8",
        "i2" | "h" => "int16",
        "i4" | "i" => "int32",
        "i8" | "q" | "l" => "int64",
        "u1" | "B" => "uint8",
        "u2" | "H" => "uint16",
        "u4" | "I" => "uint32",
        "u8" | "Q" | "L" => "uint64",
        "b1" | "?" => "bool",
        "c8" => "complex64",
        "c16" => "complex128",
        o if o.starts_with('O') => "object",
        other => return other.to_string(),
    };
    name.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protocol_0_global_and_reduce_are_listed() {
        let s = scan(b"cposix\nsystem\n(S'id'\ntR.");
        assert_eq!(s.error, None);
        assert_eq!(s.imports[0].qualified(), "posix.system");
        assert_eq!(s.imports[0].opcode, "GLOBAL");
    }

    #[test]
    fn inst_and_obj_name_their_class() {
        let s = scan(b"(S'ls'\nios\nsystem\n.");
        assert_eq!(s.imports[0].qualified(), "os.system");
        assert_eq!(s.imports[0].opcode, "INST");
        let s = scan(b"(csubprocess\nPopen\nS'ls'\no.");
        assert_eq!(s.imports[0].qualified(), "subprocess.Popen");
    }

    #[test]
    fn stack_global_through_the_memo() {
        // \x80\x04 SHORT_BINUNICODE 'builtins' MEMOIZE SHORT_BINUNICODE 'exec' MEMOIZE
        // STACK_GLOBAL, then the same pair again through BINGET.
        let mut p = b"\x80\x04\x8c\x08builtins\x94\x8c\x04exec\x94\x93h\x00h\x01\x93".to_vec();
        p.extend_from_slice(b"\x8c\x01x\x85R.");
        let s = scan(&p);
        assert_eq!(s.error, None, "{s:?}");
        let names: Vec<String> = s.imports.iter().map(Import::qualified).collect();
        assert_eq!(names, ["builtins.exec", "builtins.exec"]);
    }

    #[test]
    fn malformed_streams_stop_with_an_error_not_a_panic() {
        for bad in [
            &b""[..],
            b"R",
            b"\x80\x04\x93",
            b"h\x05",
            b"X\xff\xff\xff\xff",
            b"\x8d\xff\xff\xff\xff\xff\xff\xff\xff",
            b"\x80\x09.",
            b"1",
            b"o",
            b"(o",
        ] {
            assert!(scan(bad).error.is_some(), "{bad:?}");
        }
    }

    #[test]
    fn values_are_bounded_and_references_are_not_copies() {
        // More values than the arena holds: refused, not allocated.
        let mut many = vec![b'N'; MAX_NODES + 1];
        many.push(b'.');
        assert!(scan(&many).error.unwrap().message.contains("values"));
        // A list memoized once and referenced 100,000 times into another list: indices only.
        let mut refs = b"]\x94(".to_vec();
        refs.extend(std::iter::repeat_n(*b"h\x00", 100_000).flatten());
        refs.extend_from_slice(b"l.");
        let s = scan(&refs);
        assert_eq!((s.error, s.length), (None, refs.len()));
    }

    #[test]
    fn numpy_arrays_give_shape_and_dtype() {
        // A (2, 3) float32 array as NumPy 2 pickles it at protocol 4 (its opcodes, without
        // FRAME and MEMOIZE): _reconstruct(ndarray, (0,), b"b"), then BUILD with
        // (1, shape, dtype("f4") built with (3, "<", ...), False, data).
        let mut p = b"\x80\x04\x8c\x16numpy._core.multiarray\x8c\x0c_reconstruct\x93".to_vec();
        p.extend_from_slice(b"\x8c\x05numpy\x8c\x07ndarray\x93K\x00\x85C\x01b\x87R");
        p.extend_from_slice(b"(K\x01K\x02K\x03\x86\x8c\x05numpy\x8c\x05dtype\x93");
        p.extend_from_slice(
            b"\x8c\x02f4\x89\x88\x87R(K\x03\x8c\x01<NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb",
        );
        p.extend_from_slice(b"\x89C\x18");
        p.extend_from_slice(&[0u8; 24]);
        p.extend_from_slice(b"tb.");
        let s = scan(&p);
        assert_eq!(s.error, None, "{s:?}");
        assert_eq!(
            s.arrays,
            [Array {
                shape: vec![2, 3],
                dtype: "float32".into(),
                data_bytes: Some(24)
            }]
        );
    }

    #[test]
    fn numpy_dtype_names() {
        assert_eq!(numpy_dtype("<f4"), "float32");
        assert_eq!(numpy_dtype("O8"), "object");
        assert_eq!(numpy_dtype("u1"), "uint8");
    }
}
