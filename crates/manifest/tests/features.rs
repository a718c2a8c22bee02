//! The `ipfsOnEthereumContracts` feature rule: a mapping that imports an IPFS host function needs
//! the feature declared (specVersion 0.0.4 and later), as graph-node checks.

mod support;

use sprig_manifest::Manifest;
use support::Subgraph;

/// A wasm module importing `index.<name>` (a `() -> ()` function): the whole binary, by hand.
fn module_importing(name: &str) -> Vec<u8> {
    let mut wasm = b"\0asm\x01\0\0\0".to_vec();
    wasm.extend([1, 4, 1, 0x60, 0, 0]); // type section: one `() -> ()`
    let mut imports = vec![1, 5];
    imports.extend(b"index");
    imports.push(name.len() as u8);
    imports.extend(name.as_bytes());
    imports.extend([0, 0]); // a function of type 0
    wasm.push(2);
    wasm.push(imports.len() as u8);
    wasm.extend(imports);
    wasm
}

fn load(spec_version: &str, features: &str, wasm: &[u8]) -> anyhow::Result<Manifest> {
    Subgraph {
        spec_version: spec_version.into(),
        top_level: features.into(),
        wasm: wasm.to_vec(),
        ..Subgraph::default()
    }
    .load()
}

#[test]
fn ipfs_imports_need_the_feature() {
    for name in ["ipfs.cat", "ipfs.getBlock", "ipfs.map"] {
        let wasm = module_importing(name);
        let err = format!("{:#}", load("1.2.0", "", &wasm).unwrap_err());
        assert!(
            err.contains("The feature `ipfsOnEthereumContracts` is used by the subgraph but it is not declared in the manifest")
                && err.contains(&format!("imports `{name}`"))
                && err.contains("`Token`"),
            "{err}"
        );
        for declared in [
            "features: [ipfsOnEthereumContracts]",
            "features: [nonDeterministicIpfs]",
        ] {
            load("1.2.0", declared, &wasm).unwrap();
        }
        // Before specVersion 0.0.4 features were not checked.
        load("0.0.2", "", &wasm).unwrap();
    }
    // Other imports, and a module that is not valid wasm, need nothing.
    load("1.2.0", "", &module_importing("store.set")).unwrap();
    load("1.2.0", "", b"\0asm").unwrap();
}
