"""The third-party files GraphiQL needs, as published on the npm registry (MIT licensed), with
their Subresource Integrity hashes: the page asks the browser to check them, and
tests/frontend/test_graphiql_assets.py checks the files in the repository against them.
`scripts/vendor-graphiql.sh` fetches them again from the registry."""

from __future__ import annotations

from pathlib import Path

VENDOR = Path(__file__).parent / "static" / "vendor"

# path under static/vendor -> (npm package, file in the package, sha384 integrity)
ASSETS: dict[str, tuple[str, str, str]] = {
    "react-18.2.0/react.production.min.js": (
        "react@18.2.0", "umd/react.production.min.js",
        "sha384-tMH8h3BGESGckSAVGZ82T9n90ztNXxvdwvdM6UoR56cYcf+0iGXBliJ29D+wZ/x8"),
    "react-dom-18.2.0/react-dom.production.min.js": (
        "react-dom@18.2.0", "umd/react-dom.production.min.js",
        "sha384-bm7MnzvK++ykSwVJ2tynSE5TRdN+xL418osEVF2DE/L/gfWHj91J2Sphe582B1Bh"),
    "graphiql-3.8.3/graphiql.min.js": (
        "graphiql@3.8.3", "graphiql.min.js",
        "sha384-HbRVEFG0JGJZeAHCJ9Xm2+tpknBQ7QZmNlO/DgZtkZ0aJSypT96YYGRNod99l9Ie"),
    "graphiql-3.8.3/graphiql.min.css": (
        "graphiql@3.8.3", "graphiql.min.css",
        "sha384-Mq3vbRBY71jfjQAt/DcjxUIYY33ksal4cgdRt9U/hNPvHBCaT2JfJ/PTRiPKf0aM"),
    "graphiql-plugin-explorer-1.0.2/index.umd.js": (
        "@graphiql/plugin-explorer@1.0.2", "dist/index.umd.js",
        "sha384-2oonKe47vfHIZnmB6ZZ10vl7T0Y+qrHQF2cmNTaFDuPshpKqpUMGMc9jgj9MLDZ9"),
    "graphiql-plugin-explorer-1.0.2/style.css": (
        "@graphiql/plugin-explorer@1.0.2", "dist/style.css",
        "sha384-5DFJlDPW2tSATRbM8kzoP1j194jexLswuNmClWoRr2Q0x7R68JIQzPHZ02Faktwi"),
}


def integrity(path: str) -> str:
    return ASSETS[path][2]
