// kiln.data: datasets and the DataLoader (torch.utils.data).
export { TensorDataset, Subset, type Dataset, type BatchDataset } from "./dataset.js";
export { DataLoader, defaultCollate, type DataLoaderOptions, type GeneratorLike } from "./dataloader.js";
