//! A bounded, panic-free, static decoder of CPython's `marshal` format for code objects.
//!
//! Keras `Lambda` layers store their function as `base64(marshal.dumps(func.__code__))`;
//! loading such a model runs that bytecode (CVE-2024-3660). This module shows what the
//! bytecode references (names, constants, nested code) without executing anything.
//!
//! Supported: the marshal streams of CPython 2.7 (marshal version 2: `t` interned strings and
//! `R` string references) and of CPython 3 (versions 3–4: the `FLAG_REF` bit, `r` references,
//! short ASCII strings, small tuples), with the code object layouts, as `Python/marshal.c`
//! reads them:
//!
//! | [`Layout`] | `TYPE_CODE` fields |
//! | --- | --- |
//! | `Py27` | argcount, nlocals, stacksize, flags (4 × i32); code, consts, names, varnames, freevars, cellvars, filename, name; firstlineno (i32); lnotab |
//! | `Py30` (3.0–3.7) | argcount, kwonlyargcount, nlocals, stacksize, flags; then as 2.7 |
//! | `Py38` (3.8–3.10) | argcount, posonlyargcount, kwonlyargcount, nlocals, stacksize, flags; then as 2.7 (lnotab is co_linetable in 3.10) |
//! | `Py311` (3.11–3.13) | argcount, posonlyargcount, kwonlyargcount, stacksize, flags; code, consts, names, localsplusnames, localspluskinds, filename, name, qualname; firstlineno; linetable, exceptiontable |
//!
//! The marshal bytes do not say which layout they use, so [`decode_code`] tries the layouts
//! newest first and takes the first one under which the whole input parses exactly and every
//! code object is plausible (each field of the right type, counts consistent).
//!
//! Limits: nesting depth [`MAX_DEPTH`], objects [`MAX_OBJECTS`], input [`MAX_INPUT_BYTES`],
//! and text copied into results [`MAX_TEXT_BYTES`]. A declared length is checked against the
//! bytes that remain before anything is allocated. References are shared (`Rc`), never
//! copied, and a reference to an object still being read (a cycle) is rejected, so the
//! decoded graph is acyclic and its walk is bounded.

use std::collections::HashSet;
use std::rc::Rc;

use base64::Engine;

use super::dangerous::is_dangerous_code_name;

/// Deepest nesting of marshal objects accepted.
pub const MAX_DEPTH: usize = 64;
/// Most marshal objects (references included) read from one input.
pub const MAX_OBJECTS: usize = 100_000;
/// Largest marshal input accepted (Keras lambdas are a few hundred bytes).
pub const MAX_INPUT_BYTES: usize = 16 << 20;
/// Most bytes of text copied out of the stream into decoded code objects and summaries.
pub const MAX_TEXT_BYTES: usize = 32 << 20;

/// What a marshalled code object says about itself.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CodeSummary {
    /// `co_filename`: the source file the function was defined in, as recorded at
    /// compile time (always set for decoded marshal data).
    pub filename: Option<String>,
    /// `co_name` (`<lambda>`).
    pub name: Option<String>,
    /// `co_qualname` (3.11+).
    pub qualname: Option<String>,
    /// `co_names`: globals and attributes referenced (`os`, `system`, `eval`, ...).
    pub names: Vec<String>,
    /// Arguments and locals (`co_varnames`; in 3.11+ the local entries of `co_localsplusnames`).
    pub varnames: Vec<String>,
    /// `co_freevars`: names taken from an enclosing function's closure.
    pub freevars: Vec<String>,
    /// `co_cellvars`: locals that nested functions capture.
    pub cellvars: Vec<String>,
    /// `str`/`bytes` constants (bytes shown lossily) of `co_consts` and of the tuples and
    /// frozensets in it, not of nested code objects; deduplicated, in order.
    pub string_constants: Vec<String>,
    /// Code objects among the constants (nested lambdas, functions, comprehensions).
    pub nested: Vec<CodeSummary>,
    /// Best guess of the CPython version family from the layout: `"3.11+"`, `"3.8–3.10"`,
    /// `"3.4–3.7"` (`"3.0–3.7"` without any marshal version 3/4 feature), `"2.7"`.
    pub python: Option<String>,
}

/// Why marshal data could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MarshalError {
    /// The input holds no bytes at all.
    #[error("marshal data is empty")]
    Empty,
    /// The stream ends at byte `offset` in the middle of an object.
    #[allow(missing_docs)] // the fields are described above
    #[error("marshal data truncated at byte {offset}")]
    Truncated { offset: usize },
    /// A type code (`code`, without the `FLAG_REF` bit) that marshal does not define, at byte
    /// `offset`.
    #[allow(missing_docs)] // the fields are described above
    #[error("unknown marshal type code 0x{code:02x} at byte {offset}")]
    UnknownType { code: u8, offset: usize },
    /// Objects nested deeper than `max` ([`MAX_DEPTH`]), at byte `offset`.
    #[allow(missing_docs)] // the fields are described above
    #[error("marshal data nested deeper than {max} levels at byte {offset}")]
    TooDeep { max: usize, offset: usize },
    /// A limit on input, objects or copied text was reached; `what` names it.
    #[allow(missing_docs)] // the fields are described above
    #[error("marshal data too big: {what}")]
    TooBig { what: &'static str },
    /// A negative length `len` read at byte `offset`.
    #[allow(missing_docs)] // the fields are described above
    #[error("bad length {len} at byte {offset}")]
    BadLength { len: i64, offset: usize },
    /// A reference to object `index` that does not exist or is still being read (a cycle), at byte
    /// `offset`.
    #[allow(missing_docs)] // the fields are described above
    #[error("invalid reference {index} at byte {offset}")]
    BadRef { index: i64, offset: usize },
    /// A malformed `l` long integer at byte `offset`; `why` says what is wrong.
    #[allow(missing_docs)] // the fields are described above
    #[error("bad long integer at byte {offset}: {why}")]
    BadLong { offset: usize, why: &'static str },
    /// A text float (`f`, `x`) that does not parse, at byte `offset`.
    #[allow(missing_docs)] // the fields are described above
    #[error("bad float text at byte {offset}")]
    BadFloat { offset: usize },
    /// A `TYPE_NULL` where a value must stand, at byte `offset`.
    #[allow(missing_docs)] // the fields are described above
    #[error("NULL object where a value is required at byte {offset}")]
    UnexpectedNull { offset: usize },
    /// The input does not start with a code object: its first byte is `code`.
    #[allow(missing_docs)] // the fields are described above
    #[error("not a code object (marshal type code 0x{code:02x})")]
    NotCode { code: u8 },
    /// A code object at byte `offset` that no layout makes plausible; `why` says which field fails.
    #[allow(missing_docs)] // the fields are described above
    #[error("implausible code object at byte {offset}: {why}")]
    BadCode { offset: usize, why: &'static str },
    /// `count` bytes remain after the code object that ends at byte `offset`.
    #[allow(missing_docs)] // the fields are described above
    #[error("{count} trailing bytes after the code object at byte {offset}")]
    TrailingBytes { offset: usize, count: usize },
    /// The Keras text is not valid base64 (the decoder's message).
    #[error("invalid base64: {0}")]
    Base64(String),
}

type Result<T> = std::result::Result<T, MarshalError>;

/// A code object field layout (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[non_exhaustive]
pub enum Layout {
    /// CPython 3.11, 3.12, 3.13.
    Py311,
    /// CPython 3.8, 3.9, 3.10.
    Py38,
    /// CPython 3.0 to 3.7.
    Py30,
    /// CPython 2.7 (marshal version 2).
    Py27,
}

impl Layout {
    /// Newest first: the order [`decode_value`] tries them in.
    pub const ALL: [Layout; 4] = [Layout::Py311, Layout::Py38, Layout::Py30, Layout::Py27];

    fn is_py2(self) -> bool {
        self == Layout::Py27
    }
}

/// A decoded marshal object.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Value {
    /// `TYPE_NULL` (`0`): the end of a dict; never a value elsewhere.
    Null,
    /// `N`: Python's `None`.
    None,
    /// `T`: `True`.
    True,
    /// `F`: `False`.
    False,
    /// `.`: `...` (`Ellipsis`).
    Ellipsis,
    /// `S`: the `StopIteration` singleton.
    StopIteration,
    /// `i` (32-bit) or `I` (64-bit) integers.
    Int(i64),
    /// `l` long integers; `None` when the value does not fit an `i128`.
    Long(Option<i128>),
    /// `g` (binary) or `f` (text) floats.
    Float(f64),
    /// `y` (binary) or `x` (text) complex numbers: real and imaginary parts.
    Complex(f64, f64),
    /// `s` (bytes; `str` in Python 2, where `t` and `R` are bytes too).
    Bytes(Vec<u8>),
    /// `u`, `a`, `z` and their interned forms (`t` in Python 3).
    Str(String),
    /// `(` and `)` tuples, in order.
    Tuple(Vec<Rc<Value>>),
    /// `[` lists, in order.
    List(Vec<Rc<Value>>),
    /// `<` sets, in stream order.
    Set(Vec<Rc<Value>>),
    /// `>` frozensets, in stream order.
    FrozenSet(Vec<Rc<Value>>),
    /// `{` dicts: key and value pairs, in stream order.
    Dict(Vec<(Rc<Value>, Rc<Value>)>),
    /// `c`: a nested code object (a lambda, function or comprehension).
    Code(Box<CodeObject>),
}

/// A decoded code object. Names are decoded as text (Python 2 byte strings lossily).
#[derive(Debug, Clone, PartialEq)]
pub struct CodeObject {
    /// The field layout the object parsed under (which CPython family wrote it).
    pub layout: Layout,
    /// `co_argcount`: positional arguments.
    pub argcount: i32,
    /// 0 before 3.8.
    pub posonlyargcount: i32,
    /// 0 in 2.7.
    pub kwonlyargcount: i32,
    /// `None` in 3.11+ (derived from the locals there).
    pub nlocals: Option<i32>,
    /// `co_stacksize`: the evaluation stack depth the bytecode needs.
    pub stacksize: i32,
    /// `co_flags`: the `CO_*` bits (varargs, generator, ...).
    pub flags: i32,
    /// `co_code` (a [`Value::Bytes`], shared, never copied): see [`CodeObject::bytecode`].
    code: Rc<Value>,
    /// `co_consts` (a [`Value::Tuple`], shared): see [`CodeObject::consts`].
    consts: Rc<Value>,
    /// `co_names`: globals and attributes the bytecode references.
    pub names: Vec<String>,
    /// `co_varnames` (arguments and locals; in 3.11+ the local entries of `co_localsplusnames`).
    pub varnames: Vec<String>,
    /// `co_freevars`: names taken from an enclosing function's closure.
    pub freevars: Vec<String>,
    /// `co_cellvars`: locals that nested functions capture.
    pub cellvars: Vec<String>,
    /// `co_filename`: the source file recorded at compile time.
    pub filename: String,
    /// `co_name` (`<lambda>` for a lambda).
    pub name: String,
    /// `co_qualname` (3.11+; `None` before).
    pub qualname: Option<String>,
    /// `co_firstlineno`: the first source line of the function.
    pub firstlineno: i32,
}

impl CodeObject {
    /// `co_code`.
    pub fn bytecode(&self) -> &[u8] {
        match &*self.code {
            Value::Bytes(b) => b,
            _ => &[],
        }
    }

    /// `co_consts`.
    pub fn consts(&self) -> &[Rc<Value>] {
        match &*self.consts {
            Value::Tuple(items) => items,
            _ => &[],
        }
    }
}

/// A decoded object and its height: 1 for a leaf, 1 + the tallest child for a container.
/// References can make an object structurally taller than the nesting read, so the height
/// is bounded too ([`MAX_DEPTH`]): everything that walks or drops the graph stays shallow.
type Node = (Rc<Value>, usize);

// Python/marshal.c type codes.
const TYPE_NULL: u8 = b'0';
const TYPE_NONE: u8 = b'N';
const TYPE_FALSE: u8 = b'F';
const TYPE_TRUE: u8 = b'T';
const TYPE_STOPITER: u8 = b'S';
const TYPE_ELLIPSIS: u8 = b'.';
const TYPE_INT: u8 = b'i';
const TYPE_INT64: u8 = b'I';
const TYPE_FLOAT: u8 = b'f';
const TYPE_BINARY_FLOAT: u8 = b'g';
const TYPE_COMPLEX: u8 = b'x';
const TYPE_BINARY_COMPLEX: u8 = b'y';
const TYPE_LONG: u8 = b'l';
const TYPE_STRING: u8 = b's';
const TYPE_INTERNED: u8 = b't';
const TYPE_STRINGREF: u8 = b'R'; // Python 2 only
const TYPE_REF: u8 = b'r'; // Python 3 only
const TYPE_TUPLE: u8 = b'(';
const TYPE_LIST: u8 = b'[';
const TYPE_DICT: u8 = b'{';
const TYPE_CODE: u8 = b'c';
const TYPE_UNICODE: u8 = b'u';
const TYPE_SET: u8 = b'<';
const TYPE_FROZENSET: u8 = b'>';
const TYPE_ASCII: u8 = b'a';
const TYPE_ASCII_INTERNED: u8 = b'A';
const TYPE_SMALL_TUPLE: u8 = b')';
const TYPE_SHORT_ASCII: u8 = b'z';
const TYPE_SHORT_ASCII_INTERNED: u8 = b'Z';
const FLAG_REF: u8 = 0x80;

// Code flags and 3.11+ local kinds (Include/cpython/code.h, Include/internal/pycore_code.h).
const CO_VARARGS: i32 = 0x04;
const CO_VARKEYWORDS: i32 = 0x08;
const CO_FAST_LOCAL: u8 = 0x20;
const CO_FAST_CELL: u8 = 0x40;
const CO_FAST_FREE: u8 = 0x80;

/// A marshal `l` digit is 15 bits.
const LONG_SHIFT: u32 = 15;

struct Decoder<'a> {
    data: &'a [u8],
    pos: usize,
    layout: Layout,
    depth: usize,
    objects: usize,
    text_bytes: usize,
    /// Python 3 reference table: `None` while the object is still being read.
    refs: Vec<Option<Node>>,
    /// Python 2 interned strings, for `R`.
    interned: Vec<Rc<Value>>,
    /// Saw a marshal version 3/4 feature (refs, short ASCII, small tuples): CPython 3.4+.
    saw_v3: bool,
}

impl<'a> Decoder<'a> {
    fn new(data: &'a [u8], layout: Layout) -> Self {
        Decoder {
            data,
            pos: 0,
            layout,
            depth: 0,
            objects: 0,
            text_bytes: 0,
            refs: Vec::new(),
            interned: Vec::new(),
            saw_v3: false,
        }
    }

    fn remaining(&self) -> usize {
        self.data.len().saturating_sub(self.pos)
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let truncated = MarshalError::Truncated { offset: self.pos };
        let end = self.pos.checked_add(n).ok_or(truncated.clone())?;
        let bytes = self.data.get(self.pos..end).ok_or(truncated)?;
        self.pos = end;
        Ok(bytes)
    }

    fn u8(&mut self) -> Result<u8> {
        let b = *self
            .data
            .get(self.pos)
            .ok_or(MarshalError::Truncated { offset: self.pos })?;
        self.pos += 1;
        Ok(b)
    }

    fn u16(&mut self) -> Result<u16> {
        let b = self.take(2)?;
        match b {
            [a, b] => Ok(u16::from_le_bytes([*a, *b])),
            _ => Err(MarshalError::Truncated { offset: self.pos }),
        }
    }

    fn i32(&mut self) -> Result<i32> {
        let b = self.take(4)?;
        let mut a = [0u8; 4];
        a.copy_from_slice(b);
        Ok(i32::from_le_bytes(a))
    }

    fn i64(&mut self) -> Result<i64> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(i64::from_le_bytes(a))
    }

    fn f64(&mut self) -> Result<f64> {
        Ok(f64::from_bits(self.i64()? as u64))
    }

    /// A 32-bit length that must be non-negative and, at `min_size` bytes per element, fit
    /// in what remains of the input.
    fn length(&mut self, min_size: usize) -> Result<usize> {
        let at = self.pos;
        let n = self.i32()?;
        let len = usize::try_from(n).map_err(|_| MarshalError::BadLength {
            len: i64::from(n),
            offset: at,
        })?;
        self.check_fits(len, min_size)?;
        Ok(len)
    }

    fn check_fits(&self, len: usize, min_size: usize) -> Result<()> {
        match len.checked_mul(min_size) {
            Some(need) if need <= self.remaining() => Ok(()),
            _ => Err(MarshalError::Truncated { offset: self.pos }),
        }
    }

    fn charge_text(&mut self, n: usize) -> Result<()> {
        self.text_bytes = self
            .text_bytes
            .checked_add(n)
            .filter(|&t| t <= MAX_TEXT_BYTES)
            .ok_or(MarshalError::TooBig {
                what: "text copied out of the marshal data",
            })?;
        Ok(())
    }

    /// Reserves a reference slot (Python 3, `FLAG_REF`) before a container's children.
    fn reserve(&mut self, flag: bool) -> Option<usize> {
        if flag {
            self.refs.push(None);
            Some(self.refs.len() - 1)
        } else {
            None
        }
    }

    /// Completes a container: checks its height and fills its reserved reference slot.
    fn finish(&mut self, slot: Option<usize>, v: Value, h: usize, start: usize) -> Result<Node> {
        let height = h.saturating_add(1);
        if height > MAX_DEPTH {
            return Err(MarshalError::TooDeep {
                max: MAX_DEPTH,
                offset: start,
            });
        }
        let node = (Rc::new(v), height);
        if let Some(i) = slot
            && let Some(s) = self.refs.get_mut(i)
        {
            *s = Some(node.clone());
        }
        Ok(node)
    }

    /// Registers a leaf object (read before it is referenced).
    fn leaf(&mut self, flag: bool, v: Value) -> Node {
        let node = (Rc::new(v), 1);
        if flag {
            self.refs.push(Some(node.clone()));
        }
        node
    }

    fn object(&mut self) -> Result<Node> {
        let start = self.pos;
        let code = self.u8()?;
        self.objects += 1;
        if self.objects > MAX_OBJECTS {
            return Err(MarshalError::TooBig {
                what: "too many marshal objects",
            });
        }
        if self.depth >= MAX_DEPTH {
            return Err(MarshalError::TooDeep {
                max: MAX_DEPTH,
                offset: start,
            });
        }
        self.depth += 1;
        let r = self.object_body(start, code);
        self.depth -= 1;
        r
    }

    /// An object that must not be `NULL`.
    fn value(&mut self) -> Result<Node> {
        let at = self.pos;
        let v = self.object()?;
        if matches!(*v.0, Value::Null) {
            return Err(MarshalError::UnexpectedNull { offset: at });
        }
        Ok(v)
    }

    /// A non-`NULL` child object; raises `h` to its height.
    fn child(&mut self, h: &mut usize) -> Result<Rc<Value>> {
        let (v, height) = self.value()?;
        *h = (*h).max(height);
        Ok(v)
    }

    fn object_body(&mut self, start: usize, code: u8) -> Result<Node> {
        let py2 = self.layout.is_py2();
        // Python 2 has no FLAG_REF: a high bit is an unknown type code there.
        let (flag, ty) = if py2 {
            (false, code)
        } else {
            (code & FLAG_REF != 0, code & !FLAG_REF)
        };
        if flag {
            self.saw_v3 = true;
        }
        let unknown = MarshalError::UnknownType {
            code,
            offset: start,
        };
        let v = match ty {
            TYPE_NULL => (Rc::new(Value::Null), 1),
            TYPE_NONE => (Rc::new(Value::None), 1),
            TYPE_TRUE => (Rc::new(Value::True), 1),
            TYPE_FALSE => (Rc::new(Value::False), 1),
            TYPE_ELLIPSIS => (Rc::new(Value::Ellipsis), 1),
            TYPE_STOPITER => (Rc::new(Value::StopIteration), 1),
            TYPE_INT => {
                let n = self.i32()?;
                self.leaf(flag, Value::Int(i64::from(n)))
            }
            TYPE_INT64 => {
                let n = self.i64()?;
                self.leaf(flag, Value::Int(n))
            }
            TYPE_LONG => {
                let v = self.long()?;
                self.leaf(flag, v)
            }
            TYPE_FLOAT => {
                let x = self.float_str()?;
                self.leaf(flag, Value::Float(x))
            }
            TYPE_BINARY_FLOAT => {
                let x = self.f64()?;
                self.leaf(flag, Value::Float(x))
            }
            TYPE_COMPLEX => {
                let re = self.float_str()?;
                let im = self.float_str()?;
                self.leaf(flag, Value::Complex(re, im))
            }
            TYPE_BINARY_COMPLEX => {
                let re = self.f64()?;
                let im = self.f64()?;
                self.leaf(flag, Value::Complex(re, im))
            }
            TYPE_STRING => {
                let n = self.length(1)?;
                let b = self.take(n)?.to_vec();
                self.leaf(flag, Value::Bytes(b))
            }
            TYPE_INTERNED if py2 => {
                let n = self.length(1)?;
                let b = self.take(n)?.to_vec();
                let v = Rc::new(Value::Bytes(b));
                self.interned.push(Rc::clone(&v));
                (v, 1)
            }
            TYPE_STRINGREF if py2 => {
                let at = self.pos;
                let i = self.i32()?;
                let found = usize::try_from(i)
                    .ok()
                    .and_then(|i| self.interned.get(i))
                    .cloned();
                let v = found.ok_or(MarshalError::BadRef {
                    index: i64::from(i),
                    offset: at,
                })?;
                (v, 1)
            }
            TYPE_UNICODE | TYPE_INTERNED => {
                let n = self.length(1)?;
                let b = self.take(n)?;
                // CPython decodes with "surrogatepass"; lone surrogates show as U+FFFD here.
                let s = String::from_utf8_lossy(b).into_owned();
                self.leaf(flag, Value::Str(s))
            }
            TYPE_ASCII | TYPE_ASCII_INTERNED | TYPE_SHORT_ASCII | TYPE_SHORT_ASCII_INTERNED
                if !py2 =>
            {
                self.saw_v3 = true;
                let n = if ty == TYPE_ASCII || ty == TYPE_ASCII_INTERNED {
                    self.length(1)?
                } else {
                    usize::from(self.u8()?)
                };
                // PyUnicode_FromKindAndData(1BYTE_KIND): Latin-1.
                let s: String = self.take(n)?.iter().map(|&b| char::from(b)).collect();
                self.leaf(flag, Value::Str(s))
            }
            TYPE_REF if !py2 => {
                self.saw_v3 = true;
                let at = self.pos;
                let i = self.i32()?;
                let found = usize::try_from(i)
                    .ok()
                    .and_then(|i| self.refs.get(i))
                    .and_then(|r| r.clone());
                found.ok_or(MarshalError::BadRef {
                    index: i64::from(i),
                    offset: at,
                })?
            }
            TYPE_TUPLE | TYPE_SMALL_TUPLE | TYPE_LIST | TYPE_SET | TYPE_FROZENSET => {
                if ty == TYPE_SMALL_TUPLE && py2 {
                    return Err(unknown);
                }
                let n = if ty == TYPE_SMALL_TUPLE {
                    self.saw_v3 = true;
                    let n = usize::from(self.u8()?);
                    self.check_fits(n, 1)?;
                    n
                } else {
                    self.length(1)?
                };
                let slot = self.reserve(flag);
                let mut h = 0;
                // n fits the remaining bytes; still grow instead of trusting it up front.
                let mut items = Vec::with_capacity(n.min(1024));
                for _ in 0..n {
                    items.push(self.child(&mut h)?);
                }
                let v = match ty {
                    TYPE_LIST => Value::List(items),
                    TYPE_SET => Value::Set(items),
                    TYPE_FROZENSET => Value::FrozenSet(items),
                    _ => Value::Tuple(items),
                };
                self.finish(slot, v, h, start)?
            }
            TYPE_DICT => {
                let slot = self.reserve(flag);
                let mut h = 0;
                let mut items = Vec::new();
                loop {
                    let (key, kh) = self.object()?;
                    if matches!(*key, Value::Null) {
                        break;
                    }
                    h = h.max(kh);
                    let val = self.child(&mut h)?;
                    items.push((key, val));
                }
                self.finish(slot, Value::Dict(items), h, start)?
            }
            TYPE_CODE => {
                let slot = self.reserve(flag);
                let mut h = 0;
                let code = self.code(start, &mut h)?;
                self.finish(slot, Value::Code(Box::new(code)), h, start)?
            }
            _ => return Err(unknown),
        };
        Ok(v)
    }

    /// `l`: a signed count of 15-bit digits, least significant first.
    fn long(&mut self) -> Result<Value> {
        let at = self.pos;
        let n = self.i32()?;
        let size =
            usize::try_from(i64::from(n).unsigned_abs()).map_err(|_| MarshalError::BadLength {
                len: i64::from(n),
                offset: at,
            })?;
        self.check_fits(size, 2)?;
        let mut acc: Option<i128> = Some(0);
        let mut last = 0u16;
        for i in 0..size {
            let d = self.u16()?;
            if d > 0x7fff {
                return Err(MarshalError::BadLong {
                    offset: at,
                    why: "digit out of range",
                });
            }
            last = d;
            let shift = u32::try_from(i)
                .ok()
                .and_then(|i| i.checked_mul(LONG_SHIFT));
            acc = match acc {
                Some(a) if d == 0 => Some(a),
                // d < 2**15, so d << shift stays below 2**127.
                Some(a) => shift
                    .filter(|&s| s <= 127 - LONG_SHIFT)
                    .and_then(|s| a.checked_add(i128::from(d) << s)),
                None => None,
            };
        }
        if size > 0 && last == 0 {
            return Err(MarshalError::BadLong {
                offset: at,
                why: "unnormalized",
            });
        }
        Ok(Value::Long(if n < 0 {
            acc.and_then(i128::checked_neg)
        } else {
            acc
        }))
    }

    /// `f`/`x`: a one-byte length and the `repr` text of a float.
    fn float_str(&mut self) -> Result<f64> {
        let at = self.pos;
        let n = usize::from(self.u8()?);
        let b = self.take(n)?;
        std::str::from_utf8(b)
            .ok()
            .and_then(|s| s.trim().parse::<f64>().ok())
            .ok_or(MarshalError::BadFloat { offset: at })
    }

    /// The text of a name field: `str` in Python 3, byte `str` in Python 2.
    fn name_text(&mut self, v: &Value, at: usize, why: &'static str) -> Result<String> {
        let s = match (v, self.layout.is_py2()) {
            (Value::Str(s), false) => s.clone(),
            (Value::Bytes(b), true) => String::from_utf8_lossy(b).into_owned(),
            _ => return Err(MarshalError::BadCode { offset: at, why }),
        };
        self.charge_text(s.len())?;
        Ok(s)
    }

    fn name_tuple(&mut self, v: &Value, at: usize, why: &'static str) -> Result<Vec<String>> {
        let Value::Tuple(items) = v else {
            return Err(MarshalError::BadCode { offset: at, why });
        };
        items
            .iter()
            .map(|item| self.name_text(item, at, why))
            .collect()
    }

    fn bytes_field<'v>(v: &'v Value, at: usize, why: &'static str) -> Result<&'v [u8]> {
        match v {
            Value::Bytes(b) => Ok(b),
            _ => Err(MarshalError::BadCode { offset: at, why }),
        }
    }

    /// The fields of `c` after its type code, in the decoder's layout.
    fn code(&mut self, at: usize, h: &mut usize) -> Result<CodeObject> {
        let layout = self.layout;
        let bad = |why| MarshalError::BadCode { offset: at, why };
        let argcount = self.i32()?;
        let posonlyargcount = match layout {
            Layout::Py311 | Layout::Py38 => self.i32()?,
            _ => 0,
        };
        let kwonlyargcount = match layout {
            Layout::Py27 => 0,
            _ => self.i32()?,
        };
        let nlocals = match layout {
            Layout::Py311 => None,
            _ => Some(self.i32()?),
        };
        let stacksize = self.i32()?;
        let flags = self.i32()?;
        if argcount < 0
            || posonlyargcount < 0
            || kwonlyargcount < 0
            || posonlyargcount > argcount
            || nlocals.is_some_and(|n| n < 0)
            || stacksize < 0
            || flags < 0
        {
            return Err(bad("negative or inconsistent counts"));
        }
        let code = self.child(h)?;
        Self::bytes_field(&code, at, "co_code is not bytes")?;
        let consts = self.child(h)?;
        if !matches!(*consts, Value::Tuple(_)) {
            return Err(bad("co_consts is not a tuple"));
        }
        let names_v = self.child(h)?;
        let names = self.name_tuple(&names_v, at, "co_names is not a tuple of names")?;
        let (varnames, freevars, cellvars) = if layout == Layout::Py311 {
            let lpn = self.child(h)?;
            let lp_names =
                self.name_tuple(&lpn, at, "co_localsplusnames is not a tuple of names")?;
            let kinds_v = self.child(h)?;
            let kinds = Self::bytes_field(&kinds_v, at, "co_localspluskinds is not bytes")?;
            if kinds.len() != lp_names.len() {
                return Err(bad(
                    "co_localspluskinds and co_localsplusnames differ in length",
                ));
            }
            let pick = |bit: u8| -> Vec<String> {
                lp_names
                    .iter()
                    .zip(kinds)
                    .filter(|(_, k)| *k & bit != 0)
                    .map(|(n, _)| n.clone())
                    .collect()
            };
            let picked = (pick(CO_FAST_LOCAL), pick(CO_FAST_FREE), pick(CO_FAST_CELL));
            let copied = [&picked.0, &picked.1, &picked.2]
                .iter()
                .flat_map(|v| v.iter())
                .fold(0usize, |n, s| n.saturating_add(s.len()));
            self.charge_text(copied)?;
            picked
        } else {
            let v = self.child(h)?;
            let varnames = self.name_tuple(&v, at, "co_varnames is not a tuple of names")?;
            let v = self.child(h)?;
            let freevars = self.name_tuple(&v, at, "co_freevars is not a tuple of names")?;
            let v = self.child(h)?;
            let cellvars = self.name_tuple(&v, at, "co_cellvars is not a tuple of names")?;
            (varnames, freevars, cellvars)
        };
        let v = self.child(h)?;
        let filename = self.name_text(&v, at, "co_filename is not a string")?;
        let v = self.child(h)?;
        let name = self.name_text(&v, at, "co_name is not a string")?;
        let qualname = if layout == Layout::Py311 {
            let v = self.child(h)?;
            Some(self.name_text(&v, at, "co_qualname is not a string")?)
        } else {
            None
        };
        let firstlineno = self.i32()?;
        let v = self.child(h)?;
        Self::bytes_field(&v, at, "co_lnotab / co_linetable is not bytes")?;
        if layout == Layout::Py311 {
            let v = self.child(h)?;
            Self::bytes_field(&v, at, "co_exceptiontable is not bytes")?;
        }
        // The arguments are the first locals.
        let args = i64::from(argcount)
            + i64::from(kwonlyargcount)
            + i64::from(flags & CO_VARARGS != 0)
            + i64::from(flags & CO_VARKEYWORDS != 0);
        let locals = i64::try_from(varnames.len()).unwrap_or(i64::MAX);
        if args > locals {
            return Err(bad("more arguments than local names"));
        }
        Ok(CodeObject {
            layout,
            argcount,
            posonlyargcount,
            kwonlyargcount,
            nlocals,
            stacksize,
            flags,
            code,
            consts,
            names,
            varnames,
            freevars,
            cellvars,
            filename,
            name,
            qualname,
            firstlineno,
        })
    }
}

/// The version family of a layout, for [`CodeSummary::python`].
fn family(layout: Layout, saw_v3: bool) -> &'static str {
    match layout {
        Layout::Py311 => "3.11+",
        Layout::Py38 => "3.8–3.10",
        Layout::Py30 if saw_v3 => "3.4–3.7",
        Layout::Py30 => "3.0–3.7",
        Layout::Py27 => "2.7",
    }
}

/// Decodes marshal bytes holding one code object under the first layout (newest first)
/// that reads the whole input into a plausible code object. Returns the layout, the
/// family text for [`CodeSummary::python`] and the object.
pub fn decode_value(bytes: &[u8]) -> Result<(Layout, &'static str, Rc<Value>)> {
    let first = *bytes.first().ok_or(MarshalError::Empty)?;
    if bytes.len() > MAX_INPUT_BYTES {
        return Err(MarshalError::TooBig {
            what: "marshal input larger than 16 MiB",
        });
    }
    if (first & !FLAG_REF) != TYPE_CODE {
        return Err(MarshalError::NotCode { code: first });
    }
    let mut best: Option<(usize, MarshalError)> = None;
    for layout in Layout::ALL {
        let mut d = Decoder::new(bytes, layout);
        let result = d.value().and_then(|(v, _)| {
            if d.pos == bytes.len() {
                Ok(v)
            } else {
                Err(MarshalError::TrailingBytes {
                    offset: d.pos,
                    count: bytes.len() - d.pos,
                })
            }
        });
        match result {
            Ok(v) => return Ok((layout, family(layout, d.saw_v3), v)),
            Err(e) => {
                // Report the failure of the layout that read furthest.
                if best.as_ref().is_none_or(|(pos, _)| d.pos > *pos) {
                    best = Some((d.pos, e));
                }
            }
        }
    }
    Err(best.map_or(MarshalError::Empty, |(_, e)| e))
}

/// Bounds the walk of a decoded (acyclic, but possibly shared) graph.
struct Summarizer {
    visits: usize,
    text_bytes: usize,
}

impl Summarizer {
    fn visit(&mut self) -> Result<()> {
        self.visits += 1;
        if self.visits > MAX_OBJECTS {
            return Err(MarshalError::TooBig {
                what: "too many objects to summarize",
            });
        }
        Ok(())
    }

    fn text(&mut self, s: &str) -> Result<String> {
        self.text_bytes = self
            .text_bytes
            .checked_add(s.len())
            .filter(|&t| t <= MAX_TEXT_BYTES)
            .ok_or(MarshalError::TooBig {
                what: "summary text",
            })?;
        Ok(s.to_string())
    }

    fn texts(&mut self, v: &[String]) -> Result<Vec<String>> {
        v.iter().map(|s| self.text(s)).collect()
    }

    fn summarize(&mut self, code: &CodeObject, python: &str, depth: usize) -> Result<CodeSummary> {
        self.visit()?;
        // Bounded already by the decoder's height limit; kept as a guard.
        if depth > MAX_DEPTH {
            return Err(MarshalError::TooDeep {
                max: MAX_DEPTH,
                offset: 0,
            });
        }
        let mut walk = ConstWalk::default();
        self.walk_consts(code.consts(), &mut walk)?;
        let mut nested = Vec::with_capacity(walk.codes.len());
        for c in &walk.codes {
            if let Value::Code(co) = &**c {
                nested.push(self.summarize(co, python, depth + 1)?);
            }
        }
        Ok(CodeSummary {
            filename: Some(self.text(&code.filename)?),
            name: Some(self.text(&code.name)?),
            qualname: match &code.qualname {
                Some(q) => Some(self.text(q)?),
                None => None,
            },
            names: self.texts(&code.names)?,
            varnames: self.texts(&code.varnames)?,
            freevars: self.texts(&code.freevars)?,
            cellvars: self.texts(&code.cellvars)?,
            string_constants: walk.strings,
            nested,
            python: Some(python.to_string()),
        })
    }

    fn walk_consts(&mut self, items: &[Rc<Value>], walk: &mut ConstWalk) -> Result<()> {
        for item in items {
            self.visit()?;
            match &**item {
                Value::Str(s) => self.push_string(s, walk)?,
                Value::Bytes(b) => self.push_string(&String::from_utf8_lossy(b), walk)?,
                // Shared (referenced) objects are walked once.
                Value::Tuple(inner) | Value::FrozenSet(inner)
                    if walk.seen.insert(Rc::as_ptr(item)) =>
                {
                    self.walk_consts(inner, walk)?
                }
                Value::Code(_) if walk.seen.insert(Rc::as_ptr(item)) => {
                    walk.codes.push(Rc::clone(item))
                }
                _ => {}
            }
        }
        Ok(())
    }

    fn push_string(&mut self, s: &str, walk: &mut ConstWalk) -> Result<()> {
        if !walk.strings_seen.contains(s) {
            let owned = self.text(s)?;
            walk.strings_seen.insert(owned.clone());
            walk.strings.push(owned);
        }
        Ok(())
    }
}

#[derive(Default)]
struct ConstWalk {
    strings: Vec<String>,
    strings_seen: HashSet<String>,
    codes: Vec<Rc<Value>>,
    seen: HashSet<*const Value>,
}

/// Decodes `marshal.dumps(code)` bytes.
pub fn decode_code(bytes: &[u8]) -> Result<CodeSummary> {
    let (_, python, v) = decode_value(bytes)?;
    match &*v {
        Value::Code(code) => Summarizer {
            visits: 0,
            text_bytes: 0,
        }
        .summarize(code, python, 0),
        _ => Err(MarshalError::NotCode {
            code: bytes.first().copied().unwrap_or(0),
        }),
    }
}

/// Decodes the text Keras stores for a lambda's code, then [`decode_code`]:
/// Keras 2 `func_dump` (base64 with newlines), Keras 3 (plain base64), and, when the text is
/// not base64 and starts like a code object, the `raw_unicode_escape` text that Keras before
/// 2.1.2 stored.
pub fn decode_keras_lambda(base64_text: &str) -> Result<CodeSummary> {
    // Base64 is 4/3 of the bytes; allow generous whitespace.
    if base64_text.len() > MAX_INPUT_BYTES.saturating_mul(2) {
        return Err(MarshalError::TooBig {
            what: "lambda text larger than 32 MiB",
        });
    }
    let compact: Vec<u8> = base64_text
        .bytes()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    if compact.is_empty() {
        return Err(MarshalError::Empty);
    }
    match base64::engine::general_purpose::STANDARD_NO_PAD_INDIFFERENT.decode(&compact) {
        Ok(raw) => decode_code(&raw),
        Err(e) => {
            let starts_like_code = matches!(base64_text.chars().next(), Some('c' | '\u{e3}'));
            if starts_like_code {
                decode_code(&raw_unicode_escape(base64_text))
            } else {
                Err(MarshalError::Base64(e.to_string()))
            }
        }
    }
}

/// Python's `str.encode("raw_unicode_escape")`: Latin-1, other characters as `\uXXXX` /
/// `\UXXXXXXXX`.
fn raw_unicode_escape(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    for c in text.chars() {
        let cp = u32::from(c);
        if let Ok(b) = u8::try_from(cp) {
            out.push(b);
        } else if cp <= 0xffff {
            out.extend_from_slice(format!("\\u{cp:04x}").as_bytes());
        } else {
            out.extend_from_slice(format!("\\U{cp:08x}").as_bytes());
        }
    }
    out
}

/// Names in a summary (recursively) that are dangerous to find in a model: `co_names`,
/// `co_freevars`, and string constants that name one (`__import__('os')`, `getattr(m,
/// 'system')`; a dotted constant counts by its first part, `'os.path'` → `os`).
/// Deduplicated, in the order found.
pub fn dangerous_names(summary: &CodeSummary) -> Vec<String> {
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    collect_dangerous(summary, &mut out, &mut seen);
    out
}

fn collect_dangerous(s: &CodeSummary, out: &mut Vec<String>, seen: &mut HashSet<String>) {
    let mut add = |n: &str| {
        if is_dangerous_code_name(n) && seen.insert(n.to_string()) {
            out.push(n.to_string());
        }
    };
    for n in s.names.iter().chain(&s.freevars) {
        add(n);
    }
    for c in &s.string_constants {
        let head = c.split('.').next().unwrap_or("");
        let identifier = !head.is_empty()
            && head
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || ch == '_');
        if identifier {
            add(head);
        }
    }
    for n in &s.nested {
        collect_dangerous(n, out, seen);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A code object in the 3.11+ layout around the given consts and names bytes.
    fn code311(consts: &[u8], names: &[u8]) -> Vec<u8> {
        let mut b = vec![b'c' | FLAG_REF];
        for n in [1i32, 0, 0, 2, 3] {
            b.extend_from_slice(&n.to_le_bytes());
        }
        b.extend_from_slice(b"s\x02\x00\x00\x00\x97\x00"); // co_code
        b.extend_from_slice(consts);
        b.extend_from_slice(names);
        // localsplusnames ('x',), kinds b'\x26'
        b.extend_from_slice(b")\x01\xda\x01x");
        b.extend_from_slice(b"s\x01\x00\x00\x00\x26");
        b.extend_from_slice(b"\xfa\x04f.py"); // filename (ref'd short ascii)
        b.extend_from_slice(b"\xda\x08<lambda>"); // name
        b.extend_from_slice(b"r\x03\x00\x00\x00"); // qualname: ref to name
        b.extend_from_slice(&1i32.to_le_bytes());
        b.extend_from_slice(b"s\x00\x00\x00\x00");
        b.extend_from_slice(b"s\x00\x00\x00\x00");
        b
    }

    #[test]
    fn refs_share_reserved_indices() {
        // refs: 0 = code, 1 = 'x', 2 = 'f.py', 3 = '<lambda>'.
        let b = code311(b")\x01N", b")\x00");
        let s = decode_code(&b).unwrap();
        assert_eq!(s.python.as_deref(), Some("3.11+"));
        assert_eq!(s.name.as_deref(), Some("<lambda>"));
        assert_eq!(s.qualname.as_deref(), Some("<lambda>"));
        assert_eq!(s.varnames, ["x"]);
        assert_eq!(s.filename.as_deref(), Some("f.py"));
    }

    #[test]
    fn ref_to_names_and_constants() {
        // consts ('os',) with 'os' ref'd at index 1; names (r1,) → 'os'; localsplusnames 'x' → 2...
        let mut b = code311(b")\x01\xda\x02os", b")\x01r\x01\x00\x00\x00");
        // Every later ref index shifts by one: qualname refers to '<lambda>' at 4 now.
        let n = b.len();
        b[n - 18..n - 14].copy_from_slice(&4i32.to_le_bytes());
        let s = decode_code(&b).unwrap();
        assert_eq!(s.names, ["os"]);
        assert_eq!(s.string_constants, ["os"]);
        assert_eq!(s.qualname.as_deref(), Some("<lambda>"));
        assert_eq!(dangerous_names(&s), ["os"]);
    }

    #[test]
    fn bad_refs_are_errors() {
        // A ref past the table, and a ref to the code object still being read.
        for idx in [9i32, 0, -1] {
            let mut b = code311(b")\x01N", b")\x00");
            let n = b.len();
            b[n - 18..n - 14].copy_from_slice(&idx.to_le_bytes());
            assert_eq!(
                decode_value(&b).err(),
                Some(MarshalError::BadRef {
                    index: i64::from(idx),
                    offset: n - 18
                }),
                "{idx}"
            );
        }
    }

    fn obj(bytes: &[u8], layout: Layout) -> Result<Rc<Value>> {
        let mut d = Decoder::new(bytes, layout);
        let (v, _) = d.value()?;
        assert_eq!(d.pos, bytes.len());
        Ok(v)
    }

    #[test]
    fn small_tuples_and_containers() {
        let v = obj(b")\x03i\x01\x00\x00\x00Nz\x02ab", Layout::Py311).unwrap();
        assert_eq!(
            *v,
            Value::Tuple(vec![
                Rc::new(Value::Int(1)),
                Rc::new(Value::None),
                Rc::new(Value::Str("ab".into()))
            ])
        );
        // A small tuple claiming more items than bytes remain.
        assert!(matches!(
            obj(b")\xffN", Layout::Py311),
            Err(MarshalError::Truncated { .. })
        ));
        // Small tuples do not exist in Python 2.
        assert!(matches!(
            obj(b")\x00", Layout::Py27),
            Err(MarshalError::UnknownType { .. })
        ));
        let v = obj(b"[\x01\x00\x00\x00T", Layout::Py38).unwrap();
        assert_eq!(*v, Value::List(vec![Rc::new(Value::True)]));
        let v = obj(b"{z\x01kF0", Layout::Py38).unwrap();
        assert_eq!(
            *v,
            Value::Dict(vec![(
                Rc::new(Value::Str("k".into())),
                Rc::new(Value::False)
            )])
        );
        let v = obj(b"<\x01\x00\x00\x00.", Layout::Py30).unwrap();
        assert_eq!(*v, Value::Set(vec![Rc::new(Value::Ellipsis)]));
        let v = obj(b">\x00\x00\x00\x00", Layout::Py30).unwrap();
        assert_eq!(*v, Value::FrozenSet(vec![]));
        // NULL inside a tuple.
        assert!(matches!(
            obj(b"(\x01\x00\x00\x000", Layout::Py30),
            Err(MarshalError::UnexpectedNull { .. })
        ));
        // A huge declared length is checked against the input before allocating.
        assert!(matches!(
            obj(b"(\xff\xff\xff\x7fN", Layout::Py30),
            Err(MarshalError::Truncated { .. })
        ));
        assert!(matches!(
            obj(b"[\xff\xff\xff\xffN", Layout::Py30),
            Err(MarshalError::BadLength { .. })
        ));
    }

    #[test]
    fn long_ints() {
        // 2**15 = digits [0, 1].
        let v = obj(b"l\x02\x00\x00\x00\x00\x00\x01\x00", Layout::Py311).unwrap();
        assert_eq!(*v, Value::Long(Some(1 << 15)));
        // -(2**30 + 5) = digits [5, 0, 1], negative count.
        let v = obj(b"l\xfd\xff\xff\xff\x05\x00\x00\x00\x01\x00", Layout::Py27).unwrap();
        assert_eq!(*v, Value::Long(Some(-((1 << 30) + 5))));
        // 12345678901234567890123 as CPython writes it.
        let big: i128 = 12345678901234567890123;
        let mut b = vec![b'l'];
        let mut digits = Vec::new();
        let mut x = big;
        while x > 0 {
            digits.push((x & 0x7fff) as u16);
            x >>= 15;
        }
        b.extend_from_slice(&(digits.len() as i32).to_le_bytes());
        for d in &digits {
            b.extend_from_slice(&d.to_le_bytes());
        }
        assert_eq!(*obj(&b, Layout::Py38).unwrap(), Value::Long(Some(big)));
        // Zero.
        assert_eq!(
            *obj(b"l\x00\x00\x00\x00", Layout::Py38).unwrap(),
            Value::Long(Some(0))
        );
        // Too big for i128 (10 digits = 150 bits): decoded, value unknown.
        let mut b = vec![b'l', 10, 0, 0, 0];
        for _ in 0..10 {
            b.extend_from_slice(&0x7fffu16.to_le_bytes());
        }
        assert_eq!(*obj(&b, Layout::Py38).unwrap(), Value::Long(None));
        // A digit with the 16th bit set, an unnormalized top digit, i32::MIN digits.
        assert!(matches!(
            obj(b"l\x01\x00\x00\x00\x00\x80", Layout::Py38),
            Err(MarshalError::BadLong { .. })
        ));
        assert!(matches!(
            obj(b"l\x01\x00\x00\x00\x00\x00", Layout::Py38),
            Err(MarshalError::BadLong { .. })
        ));
        assert!(matches!(
            obj(b"l\x00\x00\x00\x80", Layout::Py38),
            Err(MarshalError::Truncated { .. })
        ));
    }

    #[test]
    fn floats_strings_and_py2_stringrefs() {
        assert_eq!(*obj(b"f\x031.5", Layout::Py27).unwrap(), Value::Float(1.5));
        assert_eq!(
            *obj(b"x\x011\x04-inf", Layout::Py27).unwrap(),
            Value::Complex(1.0, f64::NEG_INFINITY)
        );
        assert!(matches!(
            obj(b"f\x03abc", Layout::Py27),
            Err(MarshalError::BadFloat { .. })
        ));
        assert_eq!(
            *obj(&[b'g', 0, 0, 0, 0, 0, 0, 0xf8, 0x3f], Layout::Py311).unwrap(),
            Value::Float(1.5)
        );
        // Python 2: 't' interns byte strings, 'R' refers to them.
        let v = obj(
            b"(\x02\x00\x00\x00t\x02\x00\x00\x00osR\x00\x00\x00\x00",
            Layout::Py27,
        )
        .unwrap();
        let os = Rc::new(Value::Bytes(b"os".to_vec()));
        assert_eq!(*v, Value::Tuple(vec![os.clone(), os]));
        assert!(matches!(
            obj(b"R\x00\x00\x00\x00", Layout::Py27),
            Err(MarshalError::BadRef { .. })
        ));
        // Python 3: 't' is interned text; 'R' does not exist.
        assert_eq!(
            *obj(b"t\x02\x00\x00\x00\xc3\xa9", Layout::Py30).unwrap(),
            Value::Str("é".into())
        );
        assert!(matches!(
            obj(b"R\x00\x00\x00\x00", Layout::Py30),
            Err(MarshalError::UnknownType { .. })
        ));
        // Python 2 has no FLAG_REF.
        assert!(matches!(
            obj(b"\xe9\x01\x00\x00\x00", Layout::Py27),
            Err(MarshalError::UnknownType { .. })
        ));
        assert_eq!(
            *obj(b"\xe9\x01\x00\x00\x00", Layout::Py30).unwrap(),
            Value::Int(1)
        );
    }

    #[test]
    fn depth_and_not_code() {
        let deep: Vec<u8> = std::iter::repeat_n([b')', 1], 200).flatten().collect();
        assert!(matches!(
            obj(&deep, Layout::Py311),
            Err(MarshalError::TooDeep { .. })
        ));
        assert_eq!(decode_code(b""), Err(MarshalError::Empty));
        assert_eq!(decode_code(b"N"), Err(MarshalError::NotCode { code: b'N' }));
        assert_eq!(
            decode_code(b"c"),
            Err(MarshalError::Truncated { offset: 1 })
        );
    }

    #[test]
    fn raw_unicode_escape_encoding() {
        assert_eq!(raw_unicode_escape("c\u{e3}\u{263a}"), b"c\xe3\\u263a");
        assert_eq!(raw_unicode_escape("\u{1f600}"), b"\\U0001f600");
    }

    #[test]
    fn dangerous_name_rules() {
        let s = CodeSummary {
            filename: None,
            name: None,
            qualname: None,
            names: vec!["K".into(), "executing_eagerly".into(), "spawnv".into()],
            varnames: vec!["open".into()],
            freevars: vec![],
            cellvars: vec![],
            string_constants: vec!["os.path".into(), "hello world".into(), "x".into()],
            nested: vec![],
            python: None,
        };
        assert_eq!(dangerous_names(&s), ["spawnv", "os"]);
    }
}
