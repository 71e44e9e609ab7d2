// kiln.optim: optimizers and learning-rate schedulers.
export { Optimizer, type LR, type ParamGroup, type ParamGroupInput, type ParamsInput, type ParamState, type OptimizerStateDict } from "./optimizer.js";
export { SGD, type SGDOptions } from "./sgd.js";
export { Adam, AdamW, type AdamOptions } from "./adam.js";
export { RMSprop, type RMSpropOptions } from "./rmsprop.js";
import { LRScheduler, StepLR, CosineAnnealingLR, LinearLR, LambdaLR, SequentialLR } from "./lr-scheduler.js";
export { LRScheduler, StepLR, CosineAnnealingLR, LinearLR, LambdaLR, SequentialLR };
/** torch.optim.lr_scheduler. */
export const lrScheduler = { LRScheduler, StepLR, CosineAnnealingLR, LinearLR, LambdaLR, SequentialLR };
