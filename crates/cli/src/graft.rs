//! Turning a manifest's `graft:` into the base deployment to copy from.
//!
//! graph-node names the base by its deployment id, the IPFS hash of the base's manifest
//! (`Qm...`). graph-cli computes that hash only when it uploads the build (`graph build --ipfs`,
//! `graph deploy`), so Sprig cannot derive it from `build/`: `sprig index --deployment-id`
//! records it for a deployment, and `graft.base` is then matched against the recorded ids,
//! then against deployment names, and `--graft-base NAME` names the base outright. The base
//! must be in the same database: the copy is SQL within it.

use anyhow::{anyhow, bail, ensure, Context, Result};
use sprig_chain::rpc::RpcClient;
use sprig_manifest::Manifest;
use sprig_store::{DeploymentOrigin, DeploymentSummary, GraftBase, Store};

/// What `sprig index` / `sprig dev` ask for about a deployment's origin.
pub(crate) struct Request<'a> {
    /// The deployment's name.
    pub name: &'a str,
    /// `--deployment-id`.
    pub deployment_id: Option<&'a str>,
    /// `--graft-base`.
    pub graft_base: Option<&'a str>,
    /// `--reorg-threshold`: graph-node's distance between the graft block and the base's head.
    pub reorg_threshold: u64,
    /// The database, for messages.
    pub db: &'a str,
}

/// The origin to create or open deployment `request.name` with: its id, and for a manifest
/// with `graft:` whose deployment does not exist yet, the resolved base and graft block (its
/// hash and time from the chain, since the base may not have stored that block).
pub(crate) async fn origin(
    manifest: &Manifest,
    store: &Store,
    rpc: &RpcClient,
    request: &Request<'_>,
) -> Result<DeploymentOrigin> {
    if let Some(id) = request.deployment_id {
        ensure!(
            is_deployment_hash(id),
            "--deployment-id must be a deployment id (an IPFS hash such as `Qm...`: at most 46 \
             letters, digits or `_`), not `{id}`"
        );
    }
    let mut origin = DeploymentOrigin {
        id: request.deployment_id.map(str::to_string),
        graft: None,
    };
    let Some(graft) = &manifest.graft else {
        ensure!(
            request.graft_base.is_none(),
            "--graft-base names the base of a graft, but the manifest has no `graft:`"
        );
        return Ok(origin);
    };
    let deployments = store.deployments()?;
    if let Some(existing) = deployments.iter().find(|d| d.name == request.name) {
        // graph-node grafts only when it creates a deployment; Sprig copies in the same
        // transaction, so an existing deployment has its copy already (or never had one).
        if existing.graft.is_none() {
            eprintln!(
                "note: `{}` already exists in {} without a graft; `graft:` applies only when a \
                 deployment is created (use another --name to graft)",
                request.name, request.db
            );
        }
        return Ok(origin);
    }
    let base = resolve_base(&graft.base, request, &deployments)?;
    let block = rpc.block_by_number(graft.block).await.with_context(|| {
        format!(
            "cannot fetch the graft block {} from the chain",
            graft.block
        )
    })?;
    eprintln!(
        "grafting `{}` onto `{base}` at block {}: copying its data",
        request.name, graft.block
    );
    origin.graft = Some(GraftBase {
        base,
        block: block.ptr(),
        timestamp: block.timestamp,
        reorg_threshold: request.reorg_threshold,
        templates: manifest.templates.iter().map(|t| t.name.clone()).collect(),
    });
    Ok(origin)
}

/// The name of the deployment `graft.base` means: `--graft-base`, else the one deployment whose
/// recorded id is `base`, else the deployment named `base`.
fn resolve_base(
    base: &str,
    request: &Request<'_>,
    deployments: &[DeploymentSummary],
) -> Result<String> {
    let db = request.db;
    if let Some(name) = request.graft_base {
        ensure!(
            deployments.iter().any(|d| d.name == name),
            "--graft-base `{name}`: {db} has no such deployment ({}); the base must be indexed \
             into the same database (--db)",
            list(deployments)
        );
        return Ok(name.to_string());
    }
    let by_id: Vec<&DeploymentSummary> = deployments
        .iter()
        .filter(|d| d.id.as_deref() == Some(base))
        .collect();
    match by_id.as_slice() {
        [one] => return Ok(one.name.clone()),
        [] => {}
        many => bail!(
            "the graft base `{base}` is the id of several deployments in {db} ({}); pick one \
             with --graft-base NAME",
            many.iter()
                .map(|d| format!("`{}`", d.name))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
    if deployments.iter().any(|d| d.name == base) {
        return Ok(base.to_string());
    }
    Err(anyhow!(
        "the graft base `{base}` is not a deployment in {db}: no deployment there has that id \
         or name ({}). The base must be in the same database: index it there (the same --db; \
         without --db each subgraph gets its own .sprig/<name>.sqlite) with \
         `--deployment-id {base}`, or name it with --graft-base NAME",
        list(deployments)
    ))
}

/// The deployments of a database with their ids, for messages.
fn list(deployments: &[DeploymentSummary]) -> String {
    if deployments.is_empty() {
        return "it holds none".to_string();
    }
    let items: Vec<String> = deployments
        .iter()
        .map(|d| match &d.id {
            Some(id) => format!("`{}` (id {id})", d.name),
            None => format!("`{}`", d.name),
        })
        .collect();
    format!("it holds {}", items.join(", "))
}

/// graph-node's rule for a deployment hash: at most 46 characters, ASCII letters, digits and
/// `_`, and not `subgraphs`.
fn is_deployment_hash(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 46
        && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && id != "subgraphs"
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(name: &str, id: Option<&str>) -> DeploymentSummary {
        DeploymentSummary {
            name: name.into(),
            id: id.map(Into::into),
            graft: None,
        }
    }

    fn request(graft_base: Option<&str>) -> Request<'_> {
        Request {
            name: "new",
            deployment_id: None,
            graft_base,
            reorg_threshold: 0,
            db: "db.sqlite",
        }
    }

    #[test]
    fn bases_resolve_by_override_then_id_then_name() {
        let deployments = [
            summary("erc20", Some("QmA")),
            summary("QmB", None),
            summary("twin1", Some("QmT")),
            summary("twin2", Some("QmT")),
        ];
        let resolve = |base, over| resolve_base(base, &request(over), &deployments);
        assert_eq!(resolve("QmA", None).unwrap(), "erc20");
        assert_eq!(resolve("QmB", None).unwrap(), "QmB");
        assert_eq!(resolve("QmZ", Some("erc20")).unwrap(), "erc20");
        assert_eq!(resolve("QmT", Some("twin2")).unwrap(), "twin2");
        let e = resolve("QmT", None).unwrap_err().to_string();
        assert!(
            e.contains("several deployments") && e.contains("--graft-base"),
            "{e}"
        );
        let e = resolve("QmZ", None).unwrap_err().to_string();
        assert!(
            e.contains("`QmZ` is not a deployment in db.sqlite")
                && e.contains("`erc20` (id QmA)")
                && e.contains("--deployment-id QmZ"),
            "{e}"
        );
        let e = resolve("QmA", Some("nope")).unwrap_err().to_string();
        assert!(
            e.contains("--graft-base `nope`: db.sqlite has no such deployment"),
            "{e}"
        );
    }

    #[test]
    fn deployment_ids_follow_graph_node_rules() {
        assert!(is_deployment_hash(
            "QmSWWT2yrTFDZSGWaZ2HFcv3r4zCYWPmbmiXLvpbPeiFyd"
        ));
        for bad in ["", "a-b", "subgraphs", &"Q".repeat(47)] {
            assert!(!is_deployment_hash(bad), "{bad}");
        }
    }
}
