//! Findings about the file's structure, from what the reader noted (F1xx).

use super::{Finding, RuleDoc, Severity};
use crate::format::{KerasFile, NoteKind};

super::findings! {
    WEIGHT_WITHOUT_DATASET = RuleDoc {
        code: "F101",
        name: "weight-without-dataset",
        severity: Severity::Error,
        summary: "A weight listed in a layer's weight_names has no dataset in the file.",
        why: "Keras reads weights by these names: loading fails, or the layer keeps its initial values.",
        example: "dense_1: weight \"dense_1/kernel:0\" is listed in weight_names but has no dataset",
        cves: &[],
    };

    UNLISTED_DATASET = RuleDoc {
        code: "F102",
        name: "unlisted-dataset",
        severity: Severity::Warning,
        summary: "A dataset under model_weights that no weight_names entry lists.",
        why: "Keras never loads it: it is dead weight at best, a smuggled payload at worst.",
        example: "dataset /model_weights/dense/extra:0 ([64] float32) is stored but no weight_names entry lists it",
        cves: &[],
    };

    BAD_METADATA = RuleDoc {
        code: "F103",
        name: "bad-metadata",
        severity: Severity::Warning,
        summary: "training_config or metadata.json is not valid JSON.",
        why: "Keras fails to compile the loaded model; the file was edited or damaged.",
        example: "training_config is not valid JSON: expected value at line 1 column 1",
        cves: &[],
    };

    WEIGHTS_NOT_READ = RuleDoc {
        code: "F104",
        name: "weights-not-read",
        severity: Severity::Warning,
        summary: "The weights member (model.weights.npz) could not be read.",
        why: "Nothing about the tensors could be checked; Keras would fail to load them too.",
        example: "the weights could not be read: model.weights.npz: zip: invalid Zip archive: Could not find EOCD",
        cves: &[],
    };

    NO_WEIGHTS = RuleDoc {
        code: "F105",
        name: "no-weights",
        severity: Severity::Warning,
        summary: "A .keras archive with no weights member.",
        why: "Loading it gives a model with freshly initialised weights.",
        example: "no model.weights.h5 member: the archive stores no weights",
        cves: &[],
    };

    BAD_CONFIG = RuleDoc {
        code: "F106",
        name: "bad-config",
        severity: Severity::Error,
        summary: "The model config is JSON but not a model Keras could build (no class_name, layers malformed).",
        why: "Keras cannot rebuild the model; nothing can be checked against it.",
        example: "model config: layer #3 has no class_name",
        cves: &[],
    };
}

/// One finding per reader note.
pub fn check(file: &KerasFile) -> Vec<Finding> {
    file.notes
        .iter()
        .map(|note| {
            let doc = match note.kind {
                NoteKind::WeightWithoutDataset => &WEIGHT_WITHOUT_DATASET,
                NoteKind::UnlistedDataset => &UNLISTED_DATASET,
                NoteKind::BadMetadata => &BAD_METADATA,
                NoteKind::WeightsNotRead => &WEIGHTS_NOT_READ,
                NoteKind::NoWeights => &NO_WEIGHTS,
            };
            Finding::new(doc, note.layer.as_deref(), note.message.clone())
        })
        .collect()
}
