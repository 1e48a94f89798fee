"""OpenCV's classical inpainting, the benchmark's peers (Telea 2004; Bertalmio et al.'s Navier-Stokes 2001).

usage: opencv_inpaint.py IMAGE MASK OUT_TELEA OUT_NS [RADIUS [REPEATS]]
Prints one JSON line with the time of each cv2.inpaint call alone, into a kept output image, in milliseconds
(the fastest of REPEATS calls, default 1: the machine may be shared), wall clock
and the process's CPU time (teleaCpuMs, nsCpuMs).
"""
import json
import sys
import time

import cv2


def main() -> None:
    image_path, mask_path, out_telea, out_ns = sys.argv[1:5]
    radius = int(sys.argv[5]) if len(sys.argv) > 5 else 5
    repeats = int(sys.argv[6]) if len(sys.argv) > 6 else 1
    image = cv2.imread(image_path, cv2.IMREAD_COLOR)
    mask = cv2.imread(mask_path, cv2.IMREAD_GRAYSCALE)
    if image is None or mask is None:
        sys.exit("cannot read the image or the mask")
    mask = (mask >= 128).astype("uint8") * 255
    timings = {}
    for name, flag, out in (("teleaMs", cv2.INPAINT_TELEA, out_telea), ("nsMs", cv2.INPAINT_NS, out_ns)):
        best = float("inf")
        best_cpu = float("inf")
        # Each call fills an image that is already there (dst), as Vanish's bench fills its photo in place.
        result = image.copy()
        for _ in range(max(1, repeats)):
            start = time.perf_counter()
            start_cpu = time.process_time()
            cv2.inpaint(image, mask, radius, flag, dst=result)
            best_cpu = min(best_cpu, (time.process_time() - start_cpu) * 1000)
            best = min(best, (time.perf_counter() - start) * 1000)
        timings[name] = best
        timings[name.replace("Ms", "CpuMs")] = best_cpu
        cv2.imwrite(out, result)
    print(json.dumps(timings))


if __name__ == "__main__":
    main()
