//! Compiles the protobuf contracts (tfplugin6 and go-plugin's controller/stdio services) with
//! protox, a pure-Rust protobuf compiler, so building needs no `protoc` on the machine.
//!
//! Two flavours are generated into `OUT_DIR`: `server/` (what the provider serves; included
//! only by `src/tfplugin/proto/`) and `client/` (used only by the black-box tests in
//! `tests/tfplugin_*.rs` to talk to the provider the way Terraform does).

use std::path::PathBuf;

const PROTOS: [&str; 3] = [
    "proto/tfplugin6.proto",
    "proto/grpc_controller.proto",
    "proto/grpc_stdio.proto",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    for proto in PROTOS {
        println!("cargo:rerun-if-changed={proto}");
    }
    let fds = protox::compile(PROTOS, ["proto"])?;
    let out = PathBuf::from(std::env::var("OUT_DIR")?);

    for (dir, server) in [("server", true), ("client", false)] {
        let dir = out.join(dir);
        std::fs::create_dir_all(&dir)?;
        tonic_prost_build::configure()
            .build_server(server)
            .build_client(!server)
            .out_dir(&dir)
            .compile_fds(fds.clone())?;
    }
    Ok(())
}
