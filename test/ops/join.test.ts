import { joinCases, joinGradCases } from "./cases/join.js";
import { runGradCases, runOpCases } from "../helpers/run-cases.js";

runOpCases("join ops", joinCases);
runGradCases("join gradients", joinGradCases);
