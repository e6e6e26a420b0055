"""``python -m noisy_runner``: the same entrypoint as the ``noisy-runner`` console script."""

from noisy_runner.run import cli

if __name__ == "__main__":
    cli()
