// Peer runtimes beside kiln's rows (optional dev dependencies; their rows skip when missing).
// Imported after kiln's benchmarks, so the peer rows follow kiln's and can name them as baselines.
import "./onnxruntime.js";
import "./tfjs.js";
