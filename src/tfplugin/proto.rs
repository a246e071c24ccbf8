//! The one adapter between generated protobuf code and the crate's own types.
#![allow(clippy::all, clippy::pedantic, missing_docs, unreachable_pub)]

#[allow(dead_code)]
pub(crate) mod tfplugin6 {
    include!(concat!(env!("OUT_DIR"), "/server/tfplugin6.rs"));
}
#[allow(dead_code)]
pub(crate) mod plugin {
    include!(concat!(env!("OUT_DIR"), "/server/plugin.rs"));
}
