# scripts/lib/ort_model.sh — sourced by the ONNX Runtime benchmarks (bench_ort.sh, bench_lowp.sh,
# bench_busy.sh): ort_model FIX IMGSZ CPOSE_BIN WORKDIR prints the ONNX file ONNX Runtime runs at IMGSZ.
# At 640 it is the fixture (Ultralytics' own export of the bncal weights, fixed at 640×640); at any other
# size, cpose's ONNX export of the same weights at that size, written in WORKDIR (ONNX Runtime ran it
# as fast as the fixture or faster at 640: 80–94 against 82–106 ms, Zen 3, 3 alternating rounds).
ort_model() {
    local fix=$1 imgsz=$2 bin=$3 work=$4
    if [ "$imgsz" = 640 ]; then echo "$fix/yolov8n-pose-seed0-bncal.onnx"; return 0; fi
    mkdir -p "$work/ort-$imgsz" && cp "$fix/yolov8n-pose-seed0-bncal.h5" "$work/ort-$imgsz/" || return 1
    "$bin" export model="$work/ort-$imgsz/yolov8n-pose-seed0-bncal.h5" format=onnx imgsz="$imgsz" >"$work/ort-$imgsz/export.log" 2>&1 ||
        { echo "ort_model: cpose export format=onnx imgsz=$imgsz failed:" >&2; cat "$work/ort-$imgsz/export.log" >&2; return 1; }
    echo "$work/ort-$imgsz/yolov8n-pose-seed0-bncal.onnx"
}
