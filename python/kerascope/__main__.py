"""The ``kerascope`` console command (and ``python -m kerascope``): the CLI itself."""

import sys


def main():
    import signal

    # As the binary: killed quietly by a closed pipe (`| head`), and by Ctrl-C while the
    # Rust code runs (Python's handler would wait for it to return).
    if hasattr(signal, "SIGPIPE"):
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    from kerascope import _native

    sys.stdout.flush()
    return _native.run(["kerascope"] + sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
