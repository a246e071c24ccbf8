//! The one adapter between generated protobuf code and the crate's own types: it implements
//! the generated gRPC service traits by converting each message to and from the plain types
//! of `server.rs`, `schema.rs` and `diag.rs`, and routes requests to the three generated
//! services. Nothing else in the crate sees protobuf. This file holds the generated modules,
//! the router and the go-plugin services; `convert` maps values, schemas and diagnostics, and
//! `provider` implements tfplugin6.Provider.

mod convert;
mod provider;

use std::pin::Pin;
use std::sync::Arc;

use tokio_stream::Stream;
use tokio_util::sync::CancellationToken;
use tonic::codegen::{BoxFuture, Service, http};
use tonic::server::NamedService;
use tonic::{Request, Response, Status};

use super::server::Server;
use provider::ProviderSvc;

#[allow(dead_code, clippy::all, clippy::pedantic)]
mod tfplugin6 {
    include!(concat!(env!("OUT_DIR"), "/server/tfplugin6.rs"));
}
#[allow(dead_code, clippy::all, clippy::pedantic)]
mod plugin {
    include!(concat!(env!("OUT_DIR"), "/server/plugin.rs"));
}

use tfplugin6 as pb;

/// Largest message accepted or sent (256 MiB, as Terraform's Go SDKs allow).
const MAX_MESSAGE: usize = 256 << 20;

/// Every gRPC service the plugin serves: tfplugin6.Provider, plugin.GRPCController and
/// plugin.GRPCStdio. `shutdown` is cancelled when Terraform calls GRPCController/Shutdown.
pub(crate) fn routes(server: Arc<Server>, shutdown: CancellationToken) -> Routes {
    // tonic's 4 MiB default would reject large states and plans that Terraform (whose own
    // limit is far higher) happily sends.
    let provider = pb::provider_server::ProviderServer::new(ProviderSvc { server })
        .max_decoding_message_size(MAX_MESSAGE)
        .max_encoding_message_size(MAX_MESSAGE);
    Routes {
        provider,
        controller: plugin::grpc_controller_server::GrpcControllerServer::new(Controller {
            shutdown,
        }),
        stdio: plugin::grpc_stdio_server::GrpcStdioServer::new(Stdio),
    }
}

/// Dispatch by gRPC service name (the first path segment). Three fixed services need no
/// general router: tonic's (`tonic::service::Routes`) would link axum into the provider.
#[derive(Clone)]
pub(crate) struct Routes {
    provider: pb::provider_server::ProviderServer<ProviderSvc>,
    controller: plugin::grpc_controller_server::GrpcControllerServer<Controller>,
    stdio: plugin::grpc_stdio_server::GrpcStdioServer<Stdio>,
}

type HttpRequest = http::Request<tonic::body::Body>;
type HttpResponse = http::Response<tonic::body::Body>;

impl Service<HttpRequest> for Routes {
    type Response = HttpResponse;
    type Error = std::convert::Infallible;
    type Future = BoxFuture<HttpResponse, std::convert::Infallible>;

    fn poll_ready(
        &mut self,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        // The generated servers are always ready.
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: HttpRequest) -> Self::Future {
        fn is<S: NamedService>(path: &str) -> bool {
            path.strip_prefix('/')
                .and_then(|p| p.strip_prefix(S::NAME))
                .is_some_and(|rest| rest.starts_with('/'))
        }
        let path = req.uri().path().to_owned();
        if is::<pb::provider_server::ProviderServer<ProviderSvc>>(&path) {
            Box::pin(self.provider.call(req))
        } else if is::<plugin::grpc_controller_server::GrpcControllerServer<Controller>>(&path) {
            Box::pin(self.controller.call(req))
        } else if is::<plugin::grpc_stdio_server::GrpcStdioServer<Stdio>>(&path) {
            Box::pin(self.stdio.call(req))
        } else {
            // gRPC's answer for a service nobody serves (go-plugin tolerates it for GRPCBroker).
            Box::pin(std::future::ready(Ok(Status::unimplemented(format!(
                "no service serves {path}"
            ))
            .into_http())))
        }
    }
}

pub(super) type Answer<T> = Result<Response<T>, Status>;
pub(super) type BoxStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send + 'static>>;

pub(super) fn ok<T>(t: T) -> Answer<T> {
    Ok(Response::new(t))
}

pub(super) fn one<T: Send + 'static>(item: T) -> BoxStream<T> {
    Box::pin(tokio_stream::once(Ok(item)))
}

// ---------------------------------------------------------------------------------------------
// go-plugin services
// ---------------------------------------------------------------------------------------------

struct Controller {
    shutdown: CancellationToken,
}

#[tonic::async_trait]
impl plugin::grpc_controller_server::GrpcController for Controller {
    async fn shutdown(&self, _: Request<plugin::Empty>) -> Answer<plugin::Empty> {
        tracing::debug!("GRPCController/Shutdown received");
        self.shutdown.cancel();
        ok(plugin::Empty {})
    }
}

struct Stdio;

#[tonic::async_trait]
impl plugin::grpc_stdio_server::GrpcStdio for Stdio {
    type StreamStdioStream = BoxStream<plugin::StdioData>;

    /// Nothing is ever forwarded: logs go to stderr, which Terraform reads directly, and
    /// stdout carries only the handshake line. An empty stream tells go-plugin just that.
    async fn stream_stdio(&self, _: Request<()>) -> Answer<Self::StreamStdioStream> {
        ok(Box::pin(tokio_stream::empty()))
    }
}
