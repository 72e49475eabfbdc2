//! The one list of dangerous names: which Python modules, builtins and functions a model has
//! no business reaching (processes, the OS, files, the network, importing or deserializing
//! more code, reflection), which globals a pickle of arrays may import, and which TensorFlow
//! symbols touch files or run Python. Each question a check asks is one function:
//! [`is_dangerous_import`] (a module and name a config or pickle names),
//! [`is_dangerous_code_name`] (a name Lambda bytecode uses), [`is_expected_pickle_global`],
//! [`tf_symbol`]. A name is listed once; the lists say in which questions it counts.

/// Modules whose name means danger wherever it appears: imported by a config, used as a
/// name in bytecode, or written as a string constant (`__import__('os')`).
const MODULES: &[&str] = &[
    // processes and the OS
    "os",
    "posix",
    "nt",
    "posixpath",
    "ntpath",
    "genericpath",
    "sys",
    "subprocess",
    "pty",
    "commands",
    "popen2",
    "multiprocessing",
    "shlex",
    "fcntl",
    "mmap",
    // code execution, imports and debuggers
    "importlib",
    "runpy",
    "pdb",
    "bdb",
    "cProfile",
    // files
    "shutil",
    "pathlib",
    "tempfile",
    "zipfile",
    "tarfile",
    "sqlite3",
    "dbm",
    "shelve",
    // network
    "socket",
    "ssl",
    "urllib",
    "urllib2",
    "urllib3",
    "http",
    "httplib",
    "requests",
    "ftplib",
    "telnetlib",
    "smtplib",
    "xmlrpc",
    "webbrowser",
    // deserializers and native code
    "pickle",
    "cPickle",
    "_pickle",
    "dill",
    "cloudpickle",
    "joblib",
    "marshal",
    "ctypes",
    "cffi",
];

/// Modules as dangerous to import, whose names are also everyday attribute and variable
/// names (`tf.io`, `tf.signal`, `tf.linalg.trace`, a variable `code`, `functools.partial` in a
/// helper): a config
/// or pickle importing from them counts, a bare name in bytecode does not.
const MODULES_TO_IMPORT: &[&str] = &[
    "code",
    "io",
    "threading",
    "signal",
    "platform",
    "glob",
    "codecs",
    "base64",
    "types",
    "operator",
    "functools",
    "timeit",
    "trace",
    "profile",
    "asyncio",
    "select",
];

/// Submodules of NumPy that compile, run or load code (a whole-module name: `numpy` itself
/// is what arrays are pickled with).
const NUMPY_CODE_MODULES: &[&str] = &[
    "numpy.testing",
    "numpy.f2py",
    "numpy.distutils",
    "numpy.lib.npyio",
];

/// The names of the builtins module (Python 3, Python 2): dangerous as a name in bytecode;
/// imported from, only the builtins below count.
const BUILTINS_MODULES: &[&str] = &["builtins", "__builtin__"];

/// Builtins that run code, import, open files or reach into objects by name: dangerous both
/// imported (`builtins.eval`) and as a name in bytecode.
const BUILTINS: &[&str] = &[
    "exec",
    "execfile",
    "eval",
    "compile",
    "__import__",
    "reload",
    "open",
    "file",
    "getattr",
    "setattr",
    "delattr",
    "globals",
    "locals",
    "vars",
    "breakpoint",
];

/// Builtins dangerous to import by name (a config naming `builtins.type` builds anything),
/// whose names are ordinary in code (`x.type`, `super()`, `input`).
const BUILTINS_TO_IMPORT: &[&str] = &[
    "input",
    "exit",
    "quit",
    "help",
    "memoryview",
    "object",
    "type",
    "super",
    "classmethod",
    "staticmethod",
    "property",
];

/// Functions of the modules above that start processes, remove files or fetch URLs: a name
/// in bytecode (`os.system` is the names `os` and `system`). `spawn*` counts as a prefix.
const FUNCTIONS: &[&str] = &[
    "system",
    "popen",
    "Popen",
    "popen3",
    "popen4",
    "execl",
    "execle",
    "execlp",
    "execlpe",
    "execv",
    "execve",
    "execvp",
    "execvpe",
    "posix_spawn",
    "posix_spawnp",
    "fork",
    "forkpty",
    "kill",
    "create_subprocess_exec",
    "create_subprocess_shell",
    "import_module",
    "rmtree",
    "remove",
    "unlink",
    "rmdir",
    "urlopen",
];

/// Attributes that reach a function's globals, the builtins or any class from any object,
/// or that pickle uses to run code.
const REFLECTION: &[&str] = &[
    "__builtins__",
    "__subclasses__",
    "__globals__",
    "__bases__",
    "__mro__",
    "__reduce__",
    "__reduce_ex__",
    "__loader__",
    "__code__",
];

/// Whether a config or pickle naming `name` from `module` (a serialized object's `module`
/// and class or function) reaches what no model needs: a dangerous module at any depth
/// (`os.path`), a NumPy submodule that runs code, or a dangerous builtin.
pub(crate) fn is_dangerous_import(module: &str, name: &str) -> bool {
    let root = module.split('.').next().unwrap_or(module);
    if BUILTINS_MODULES.contains(&root) {
        return BUILTINS.contains(&name) || BUILTINS_TO_IMPORT.contains(&name);
    }
    MODULES.contains(&root)
        || MODULES_TO_IMPORT.contains(&root)
        || NUMPY_CODE_MODULES.iter().any(|m| {
            module
                .strip_prefix(m)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
        })
}

/// Whether `name`, found in bytecode (a name it uses, or a string constant that names one),
/// is one a model's code has no business using.
pub(crate) fn is_dangerous_code_name(name: &str) -> bool {
    MODULES.contains(&name)
        || BUILTINS_MODULES.contains(&name)
        || BUILTINS.contains(&name)
        || FUNCTIONS.contains(&name)
        || REFLECTION.contains(&name)
        || name.starts_with("spawn")
}

/// Globals NumPy pickles arrays with (numpy 1.x and 2.x module names), and the one protocol 2
/// rebuilds their bytes with (`_codecs.encode(text, "latin1")`).
const NUMPY_ARRAY_GLOBALS: &[&str] = &[
    "_codecs.encode",
    "numpy.core.multiarray._reconstruct",
    "numpy._core.multiarray._reconstruct",
    "numpy.core.multiarray.scalar",
    "numpy._core.multiarray.scalar",
    "numpy.core.numeric._frombuffer",
    "numpy._core.numeric._frombuffer",
    "numpy.ndarray",
    "numpy.dtype",
];

/// What Keras 3.15 (TensorFlow back end) pickles into `model.weights.npz` besides the arrays:
/// its variables, each rebuilding a TF variable from its array.
const KERAS_NPZ_GLOBALS: &[&str] = &[
    "keras.src.backend.Variable",
    "keras.src.backend.tensorflow.core.Variable",
    "tensorflow.python.ops.resource_variable_ops.ResourceVariable",
    "tensorflow.python.framework.dtypes.as_dtype",
    "functools.partial",
];

/// Whether a pickle may import the global `name` (`module.qualname`) without being suspect:
/// what NumPy pickles arrays with, and in `model.weights.npz` (`in_npz`) what Keras pickles
/// its variables with. Anything else a pickle imports runs code of its choosing on load.
pub(crate) fn is_expected_pickle_global(name: &str, in_npz: bool) -> bool {
    NUMPY_ARRAY_GLOBALS.contains(&name) || (in_npz && KERAS_NPZ_GLOBALS.contains(&name))
}

/// What calling a TensorFlow symbol by name does.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum TfSymbol {
    /// A pure tensor op.
    Pure,
    /// It touches files, runs Python, loads code or changes the runtime.
    FileOrCode,
    /// Neither listed as pure nor as a hazard.
    Unlisted,
}

/// Namespaces and names of TF symbols that touch files, run Python, load code or change the
/// runtime (matched as a prefix of the symbol, or as one of its dotted parts).
const TF_HAZARD_PREFIXES: &[&str] = &[
    "io.gfile.",
    "io.write_file",
    "io.read_file",
    "io.matching_files",
    "io.TFRecordWriter",
    "gfile.",
    "py_function",
    "numpy_function",
    "py_func",
    "raw_ops.",
    "saved_model.",
    "data.",
    "summary.",
    "train.",
    "config.",
    "load_op_library",
    "load_library",
    "lookup.",
    "debugging.experimental.",
    "print",
    "distribute.",
    "tpu.",
    "experimental.dtensor.",
    "keras.",
    "autograph.",
    "function",
    "compat.v1.gfile",
    "compat.v1.io.",
    "compat.v1.py_func",
    "compat.v1.read_file",
    "compat.v1.write_file",
    "compat.v1.train.",
    "compat.v1.summary.",
    "compat.v1.Session",
    "compat.v1.saved_model",
    "compat.v1.data.",
    "compat.v1.lookup.",
    "compat.v1.load_",
    "compat.v1.keras.",
];
const TF_HAZARD_PARTS: &[&str] = &[
    "gfile",
    "py_func",
    "py_function",
    "numpy_function",
    "write_file",
    "read_file",
    "PyFunc",
    "WriteFile",
    "ReadFile",
];
/// Dotted parts that name a file or code operation only when they are the whole part.
const TF_HAZARD_WORDS: &[&str] = &[
    "rmtree",
    "remove",
    "rename",
    "makedirs",
    "mkdir",
    "copy",
    "system",
    "exec",
    "eval",
    "save",
    "load",
    "restore",
    "Checkpoint",
];

/// Namespaces of pure tensor ops, and top-level array ops, tf.keras wraps as layers.
const TF_PURE_PREFIXES: &[&str] = &[
    "math.",
    "nn.",
    "linalg.",
    "signal.",
    "bitwise.",
    "image.",
    "strings.",
    "sparse.",
    "ragged.",
    "dtypes.",
    "__operators__.",
    "experimental.numpy.",
    "audio.",
    "quantization.",
];
const TF_PURE_NAMES: &[&str] = &[
    "abs",
    "add",
    "add_n",
    "argmax",
    "argmin",
    "argsort",
    "boolean_mask",
    "broadcast_to",
    "cast",
    "clip_by_norm",
    "clip_by_value",
    "concat",
    "constant",
    "convert_to_tensor",
    "cumsum",
    "divide",
    "einsum",
    "ensure_shape",
    "equal",
    "exp",
    "expand_dims",
    "eye",
    "fill",
    "gather",
    "gather_nd",
    "greater",
    "greater_equal",
    "identity",
    "less",
    "less_equal",
    "linspace",
    "logical_and",
    "logical_not",
    "logical_or",
    "matmul",
    "maximum",
    "meshgrid",
    "minimum",
    "multiply",
    "negative",
    "norm",
    "not_equal",
    "one_hot",
    "ones",
    "ones_like",
    "pad",
    "pow",
    "range",
    "rank",
    "realdiv",
    "reduce_all",
    "reduce_any",
    "reduce_logsumexp",
    "reduce_max",
    "reduce_mean",
    "reduce_min",
    "reduce_prod",
    "reduce_sum",
    "repeat",
    "reshape",
    "reverse",
    "roll",
    "round",
    "scatter_nd",
    "searchsorted",
    "sequence_mask",
    "shape",
    "sigmoid",
    "sign",
    "size",
    "slice",
    "sort",
    "split",
    "sqrt",
    "square",
    "squeeze",
    "stack",
    "stop_gradient",
    "strided_slice",
    "subtract",
    "tanh",
    "tensor_scatter_nd_update",
    "tensordot",
    "tile",
    "transpose",
    "truediv",
    "floordiv",
    "unique",
    "unravel_index",
    "unstack",
    "where",
    "zeros",
    "zeros_like",
    "bitcast",
];

/// What calling the TensorFlow symbol `symbol` (`math.add`, `io.write_file`: without `tf.`)
/// does, as a TFOpLambda / SlicingOpLambda / ClassMethod layer does on load.
pub(crate) fn tf_symbol(symbol: &str) -> TfSymbol {
    let bare = symbol
        .strip_prefix("compat.v1.")
        .or_else(|| symbol.strip_prefix("compat.v2."))
        .unwrap_or(symbol);
    let hazard = TF_HAZARD_PREFIXES
        .iter()
        .any(|p| symbol.starts_with(p) || bare.starts_with(p))
        || symbol.split('.').any(|part| {
            TF_HAZARD_PARTS.iter().any(|h| part.contains(h)) || TF_HAZARD_WORDS.contains(&part)
        });
    if hazard {
        return TfSymbol::FileOrCode;
    }
    if TF_PURE_PREFIXES.iter().any(|p| bare.starts_with(p)) || TF_PURE_NAMES.contains(&bare) {
        return TfSymbol::Pure;
    }
    TfSymbol::Unlisted
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A name is listed once.
    #[test]
    fn no_name_is_listed_twice() {
        let mut all: Vec<&str> = [
            MODULES,
            MODULES_TO_IMPORT,
            BUILTINS_MODULES,
            BUILTINS,
            BUILTINS_TO_IMPORT,
            FUNCTIONS,
            REFLECTION,
        ]
        .concat();
        all.sort_unstable();
        let count = all.len();
        all.dedup();
        assert_eq!(all.len(), count, "a name is listed twice");
    }

    /// The same module counts as an import and not as a bare name when its name is also an
    /// attribute of TensorFlow (`tf.io.read_file` names `io`); `os` counts either way.
    #[test]
    fn attribute_like_modules_count_only_as_imports() {
        assert!(is_dangerous_import("io", "open"));
        assert!(!is_dangerous_code_name("io"));
        assert!(is_dangerous_import("os.path", "join"));
        assert!(is_dangerous_code_name("os"));
        assert!(is_dangerous_import("builtins", "eval"));
        assert!(!is_dangerous_import("builtins", "len"));
        assert!(is_dangerous_import("numpy.f2py", "compile"));
        assert!(!is_dangerous_import("numpy.f2pyx", "compile"));
    }
}
