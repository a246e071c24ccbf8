//! List resources (Terraform 1.14+): `list "TYPE" "NAME" { config {...} }` in a `.tfquery.hcl`
//! file, run by `terraform query`, finds existing objects of a managed resource type. The list's
//! type must be a managed resource type of the same provider that declares an identity; each
//! result carries that identity (and, when asked, the object's state), from which
//! `terraform query -generate-config-out=FILE` writes `import` and `resource` blocks.
//!
//! [`ListResource::list`] sends results into a [`ListSink`] as it pages; when Terraform has
//! enough (its `limit`) or goes away, [`ListSink::send`] answers `false` and the list stops.

use tokio::sync::mpsc;

use super::{Context, Diagnostics, Schema, Value};

/// What `terraform query` asks of one `list` block.
#[derive(Debug, Clone)]
pub struct ListRequest {
    /// The `config` block, decoded against [`ListResource::schema`] and wholly known.
    pub config: Value,
    /// `include_resource = true` (always for `-generate-config-out`): each result should carry
    /// the state a Read would give.
    pub include_resource: bool,
    /// The most results Terraform will read (`limit`, default 100). Stop after this many.
    pub limit: i64,
}

/// One object found.
#[derive(Debug, Clone, Default)]
pub struct ListResult {
    /// The object's identity (the managed resource's identity schema); must be wholly known.
    pub identity: Value,
    /// A short human-readable name for `terraform query`'s table.
    pub display_name: String,
    /// The object's state (the managed resource's schema), when the request included it.
    pub resource: Option<Value>,
    /// Warnings about this object; an error aborts the whole list.
    pub diagnostics: Diagnostics,
}

/// Where a list sends its results. Results are checked and encoded by the server.
#[derive(Debug)]
pub struct ListSink {
    tx: mpsc::Sender<ListResult>,
}

impl ListSink {
    /// A sink and the receiving end of its results (the server streams them). `capacity`
    /// bounds how far a list runs ahead of Terraform.
    pub fn channel(capacity: usize) -> (ListSink, mpsc::Receiver<ListResult>) {
        let (tx, rx) = mpsc::channel(capacity.max(1));
        (ListSink { tx }, rx)
    }

    /// Sends one result; `false` when nobody listens any more (Terraform reached its limit or
    /// stopped), and the list should stop.
    pub async fn send(&self, result: ListResult) -> bool {
        self.tx.send(result).await.is_ok()
    }
}

/// A list resource. Its [`ListResource::type_name`] must be that of a managed resource with an
/// identity schema; otherwise the server does not advertise it.
#[async_trait::async_trait]
pub trait ListResource: Send + Sync + 'static {
    fn type_name(&self) -> &'static str;
    /// The `config` block's schema.
    fn schema(&self) -> Schema;
    /// ValidateListResourceConfig: static checks. `config` may hold unknown values.
    async fn validate(&self, config: &Value) -> Diagnostics;
    /// Finds the objects, sending each into `sink`, and returns diagnostics for the whole list
    /// (an error is shown and ends `terraform query` with a failure).
    async fn list(&self, req: ListRequest, sink: &ListSink, ctx: &Context) -> Diagnostics;
}
