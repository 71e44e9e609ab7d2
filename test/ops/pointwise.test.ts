import { pointwiseCases, pointwiseGradCases } from "./cases/pointwise.js";
import { runGradCases, runOpCases } from "../helpers/run-cases.js";

runOpCases("pointwise ops", pointwiseCases);
runGradCases("pointwise gradients", pointwiseGradCases);
