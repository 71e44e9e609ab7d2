// kiln.nn: modules, parameters, initialisers, utilities and the functional namespace.
export { Module, type RemovableHandle, type ForwardHook, type ForwardPreHook, type StateDict, type LoadStateDictResult } from "./module.js";
export { Parameter } from "./parameter.js";
export * from "./modules/index.js";
export * as init from "./init.js";
export * as utils from "./utils.js";
export * as functional from "./functional.js";
