#!/usr/bin/env bash
# Render a report's pages to PNG for review (Debian: apt install poppler-utils).
#   tools/render_pages.sh report.pdf [OUTDIR] [DPI]
# Writes OUTDIR/page-NN.png (default OUTDIR: /tmp/report-pages, DPI 60) and,
# when Pillow is importable, OUTDIR/sheet-N.png contact sheets of six pages.
set -euo pipefail
pdf=${1:?usage: tools/render_pages.sh report.pdf [OUTDIR] [DPI]}
out=${2:-/tmp/report-pages}
dpi=${3:-60}
command -v pdftoppm >/dev/null || { echo "pdftoppm not found: apt install poppler-utils" >&2; exit 1; }
mkdir -p "$out"
rm -f "$out"/page-*.png "$out"/sheet-*.png
pdftoppm -png -r "$dpi" "$pdf" "$out/page"
python3 - "$out" <<'PY' || true
import glob, sys
from PIL import Image
out = sys.argv[1]
pages = [Image.open(p) for p in sorted(glob.glob(f"{out}/page-*.png"))]
if pages:
    w, h = pages[0].size
    for k in range(0, len(pages), 6):
        sheet = Image.new("RGB", (w * 3, h * 2), "white")
        for i, im in enumerate(pages[k:k + 6]):
            sheet.paste(im, ((i % 3) * w, (i // 3) * h))
        sheet.save(f"{out}/sheet-{k // 6 + 1}.png")
PY
ls "$out"
