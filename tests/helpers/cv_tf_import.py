#!/usr/bin/env python3
"""tests/helpers/cv_tf_import.py — reads a frozen GraphDef with OpenCV's TensorFlow importer
(cv2.dnn.readNetFromTensorflow, which parses it with TensorFlow's own graph/node/attr/tensor
messages compiled into OpenCV), so the field numbers cpose writes are checked against TF's schema
rather than the tests' excerpt. Import only: OpenCV 4.6's layout guessing cannot run this graph
(its convolution shape check fails in the head), as it cannot run Ultralytics' own .pb.

Usage: cv_tf_import.py FILE.pb   Exits 0 and prints the layer count, 1 when OpenCV refuses the file,
77 when cv2 cannot be imported (Debian python3-opencv)."""
import sys

try:
    import cv2
except ImportError as e:  # pragma: no cover
    print(f"SKIP: cv2 not importable ({e}); apt-get install python3-opencv", file=sys.stderr)
    sys.exit(77)

try:
    net = cv2.dnn.readNetFromTensorflow(sys.argv[1])
except cv2.error as e:
    print(f"cv_tf_import: OpenCV {cv2.__version__} refuses {sys.argv[1]}: {e}", file=sys.stderr)
    sys.exit(1)
names = net.getLayerNames()
print(f"OpenCV {cv2.__version__} readNetFromTensorflow: {len(names)} layers, first {names[0]}, last {names[-1]}")
sys.exit(0 if len(names) > 0 else 1)
