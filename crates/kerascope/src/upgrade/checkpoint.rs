//! tf.keras 2.13 `.keras` archives keep each layer's weights under
//! `_layer_checkpoint_dependencies/<key>`, where Keras 3 looks when `layers/<key>` is missing
//! (`saving_lib.H5IOStore.get`, "Fix for 2.13 compatibility") — but 2.13 numbered the keys
//! counting a layer with weights twice (`dense`, `dense_2`), and Keras 3 asks for `dense_1`.
//! The weights member is written again with each group under the key Keras 3 asks for
//! ([`crate::format::naming::tfk213_renames`], the numbering the reader already undoes); every
//! dataset keeps its bytes, shape and type.

use std::path::Path;

use crate::container::source::Source;
use crate::format::keras3::renamed;
use crate::format::naming::tfk213_renames;
use crate::format::{KerasFile, Tensor};

use super::{Refusal, Tree, tensor_data};

/// The weights member of a `.keras` archive.
pub(super) const WEIGHTS_MEMBER: &str = "model.weights.h5";

/// The weights member written with tf.keras 2.13's groups renamed, when any needs it; the
/// tensors of `file` are moved to their new paths (so that `compat` judges the copy) and one
/// change is recorded per renamed group.
pub(super) fn regroup(
    input: &Path,
    file: &mut KerasFile,
    changes: &mut Vec<String>,
) -> Result<Option<Vec<u8>>, Refusal> {
    let Some(config) = file.model_config.as_ref() else {
        return Ok(None);
    };
    let logical = |t: &Tensor| t.path.replace('\\', "/");
    let objects: Vec<String> = file
        .tensors
        .iter()
        .map(|t| {
            let path = logical(t);
            path.rsplit_once("/vars/")
                .map_or(path.as_str(), |(object, _)| object)
                .to_string()
        })
        .collect();
    let renames = tfk213_renames(config, &objects);
    if renames.is_empty() {
        return Ok(None);
    }
    let failed = |what: &str, e: &dyn std::fmt::Display| {
        Refusal::Write(format!("{}: {what}: {e}", input.display()))
    };
    // The tensors' offsets are into the archive: they are read in place from a stored member.
    let stored = file
        .zip_members
        .iter()
        .any(|m| m.name == WEIGHTS_MEMBER && m.is_stored());
    if !stored {
        return Err(Refusal::Write(format!(
            "{WEIGHTS_MEMBER} is compressed: its tf.keras 2.13 weight groups are not renamed yet"
        )));
    }
    let source = Source::open(input).map_err(|e| failed("reading the input", &e))?;
    let mut tree = Tree::default();
    for t in &mut file.tensors {
        if t.path.contains(':') {
            return Err(Refusal::Write(format!(
                "{}: weights outside {WEIGHTS_MEMBER} are not regrouped",
                t.path
            )));
        }
        let data = tensor_data(&source, t).map_err(|e| failed(&t.path, &e))?;
        let path = renamed(&logical(t), &renames);
        tree.insert(&path, t.shape.clone(), t.dtype.clone(), data);
        t.path = path;
    }
    let mut builder = hdf5_pure::FileBuilder::new();
    for (name, group) in std::mem::take(&mut tree.groups) {
        let mut child = builder.create_group(&name);
        group.write(&mut child).map_err(|e| failed(&name, &e))?;
        builder.add_group(child.finish());
    }
    if !tree.datasets.is_empty() {
        return Err(Refusal::Write(format!(
            "{WEIGHTS_MEMBER}: datasets at its root are not regrouped"
        )));
    }
    let bytes = builder
        .finish()
        .map_err(|e| failed("writing the weights", &e))?;
    let mut renames: Vec<(String, String)> = renames.into_iter().collect();
    renames.sort();
    for (from, to) in renames {
        changes.push(format!(
            "weights {from} → {to} (tf.keras 2.13 numbering → the key Keras 3 asks for)"
        ));
    }
    Ok(Some(bytes))
}
