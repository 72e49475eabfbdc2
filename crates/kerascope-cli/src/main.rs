//! The `kerascope` binary: process-wide settings, then [`kerascope_cli::run`].

/// Many small allocations per file (parsed headers, JSON, findings): mimalloc handles them
/// faster than the system allocator, across threads. Measured in scripts/bench.py.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    // Piped into `head`, stop quietly like other Unix tools instead of failing on EPIPE.
    // SAFETY: restoring the default disposition of one signal before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    // The heap is small and short-lived. With transparent huge pages, each new allocator
    // arena chunk made the kernel zero 2 MiB on first touch: a third of a scan's CPU time
    // (scripts/bench.py). Pages are then faulted in 4 KiB at a time, as they are used.
    #[cfg(target_os = "linux")]
    // SAFETY: prctl with PR_SET_THP_DISABLE only sets a flag on this process.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
    // Freed memory stays with the allocator for the next file instead of going back to the
    // kernel 10 ms later and faulting in again (and being purged at exit). The heap stays at
    // the size of the largest file's analysis per thread: flat, whatever the number of files.
    // `mi_option_purge_delay` is option 15 of mimalloc's `mi_option_e` (v2 and v3).
    const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
    // SAFETY: sets one allocator option; no allocation is in flight.
    unsafe {
        libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1);
    }
    std::process::ExitCode::from(kerascope_cli::run(std::env::args_os()).0)
}
