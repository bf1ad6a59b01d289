"""Generate images with this bundle's ONNX decoder, without a server: PNG files into a folder.

    python predict.py --class 7 --n 16 --seed 0 --output generated/     (a class name, or its index)

It needs only what requirements.txt installs; the same class and seed give the images serve.py answers with.
Exit status: 0 done, 1 the request cannot be met (the message says why), 2 bad arguments.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str] | None = None) -> int:
    """Write ``--n`` PNG images of ``--class`` into ``--output``; the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--class", dest="name", required=True, help="the class to draw (a name or its index)")
    parser.add_argument("--n", type=int, default=8, help="how many images (at most 64 a call)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", type=Path, required=True, help="a folder; existing files are kept")
    args = parser.parse_args(argv)
    spec = importlib.util.spec_from_file_location("bundle_serve", HERE / "serve.py")
    serve = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(serve)
    asked = int(args.name) if args.name.isdigit() and args.name not in serve.CLASSES else args.name
    try:
        index, n, seed = serve.read_request({"class": asked, "n": args.n, "seed": args.seed})
    except serve.BadRequest as err:
        print(f"Cannot generate: {err.detail}", file=sys.stderr)
        return 1
    args.output.mkdir(parents=True, exist_ok=True)
    written = 0
    for i, image in enumerate(serve.generate(index, n, seed)):
        path = args.output / f"{serve.CLASSES[index]}_{seed}_{i:03d}.png"
        if path.exists():
            print(f"kept {path} (it exists)", file=sys.stderr)
            continue
        path.write_bytes(serve.png_bytes(image))
        written += 1
    print(f"wrote {written} image(s) of {serve.CLASSES[index]!r} to {args.output}/")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
