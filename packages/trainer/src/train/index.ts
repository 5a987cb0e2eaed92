export { fineTune, type FineTuneOptions, type FineTuneResult, type EpochRecord, type TunelabModelMetadata } from "./finetune";
export { validateTrainingConfig, TrainingConfigError, OPTIMIZERS, DEFAULT_TEST_SPLIT, type TrainingConfig, type ConfigProblem, type OptimizerName } from "./config";
export { resolveFreeze, applyFreeze, FreezeError, type FreezeSpec, type FreezeResolution } from "./freeze";
export { computeEvaluation, predictProbabilities, lossAndAccuracy, type Evaluation, type PerClassMetrics } from "./evaluate";
export { createQueuedStep, createTrainStep, type StepResult, type TrainStep } from "./step";
