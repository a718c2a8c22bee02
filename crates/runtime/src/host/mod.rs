//! The host functions mappings import (graph-node's names and semantics), and their linking.
//!
//! Like graph-node, functions are linked by import *name* under whatever module name the wasm
//! uses (graph-ts names the module after its source file: `index`, `numbers`, `conversion`,
//! `datasource`, `ethereum`, `json`, `yaml`, `env`). A name the runtime does not provide fails the load.
//!
//! Every host function charges gas before its work (see [`gas`](crate::gas)), reads its
//! arguments through [`Reader`], and writes its result through
//! [`write_value`](crate::asc::write_value).

mod conversion;
mod data_source;
mod disabled;
mod ens;
mod ethereum;
mod ipfs;
mod json;
mod numbers;
mod process;
mod store;
mod yaml;

use std::future::Future;

use wasmtime::{AsContextMut, Caller, Linker};

use crate::asc::{write_value_opt, Reader, ToAsc};
use crate::error::HostError;
use crate::gas;
use crate::state::HostState;

pub use ipfs::IpfsSettings;

/// What an async host function returns: a future borrowing the caller.
pub(crate) type HostFuture<'a, R> = Box<dyn Future<Output = wasmtime::Result<R>> + Send + 'a>;

/// Every import name the runtime links, in the order of graph-node's catalogue.
#[cfg(test)]
pub(crate) const HOST_FUNCTIONS: &[&str] = &[
    "abort",
    "log.log",
    "store.get",
    "store.get_in_block",
    "store.loadRelated",
    "store.set",
    "store.remove",
    "typeConversion.bytesToString",
    "typeConversion.bytesToHex",
    "typeConversion.bigIntToString",
    "typeConversion.bigIntToHex",
    "typeConversion.stringToH160",
    "typeConversion.bytesToBase58",
    "json.fromBytes",
    "json.try_fromBytes",
    "json.toI64",
    "json.toU64",
    "json.toF64",
    "json.toBigInt",
    "yaml.fromBytes",
    "yaml.try_fromBytes",
    "crypto.keccak256",
    "ethereum.call",
    "ethereum.getBalance",
    "ethereum.hasCode",
    "ethereum.encode",
    "ethereum.decode",
    "bigInt.plus",
    "bigInt.minus",
    "bigInt.times",
    "bigInt.dividedBy",
    "bigInt.dividedByDecimal",
    "bigInt.mod",
    "bigInt.pow",
    "bigInt.fromString",
    "bigInt.bitOr",
    "bigInt.bitAnd",
    "bigInt.leftShift",
    "bigInt.rightShift",
    "bigDecimal.plus",
    "bigDecimal.minus",
    "bigDecimal.times",
    "bigDecimal.dividedBy",
    "bigDecimal.equals",
    "bigDecimal.toString",
    "bigDecimal.fromString",
    "dataSource.create",
    "dataSource.createWithContext",
    "dataSource.address",
    "dataSource.network",
    "dataSource.context",
    "ens.nameByHash",
    "ipfs.cat",
    "ipfs.getBlock",
    "ipfs.map",
    "arweave.transactionData",
    "box.profile",
];

/// Links the host function `name` under `module`. Returns `false` if the runtime has no
/// function of that name.
pub(crate) fn link(
    linker: &mut Linker<HostState>,
    module: &str,
    name: &str,
) -> anyhow::Result<bool> {
    macro_rules! sync_fn {
        ($f:path) => {
            linker.func_wrap(module, name, $f)?
        };
    }
    macro_rules! async_fn {
        ($f:path) => {
            linker.func_wrap_async(module, name, $f)?
        };
    }
    match name {
        "abort" => sync_fn!(process::abort),
        "log.log" => sync_fn!(process::log),

        "store.get" => async_fn!(store::get),
        "store.get_in_block" => async_fn!(store::get_in_block),
        "store.loadRelated" => async_fn!(store::load_related),
        "store.set" => sync_fn!(store::set),
        "store.remove" => sync_fn!(store::remove),

        "typeConversion.bytesToString" => async_fn!(conversion::bytes_to_string),
        "typeConversion.bytesToHex" => async_fn!(conversion::bytes_to_hex),
        "typeConversion.bigIntToString" => async_fn!(conversion::big_int_to_string),
        "typeConversion.bigIntToHex" => async_fn!(conversion::big_int_to_hex),
        "typeConversion.stringToH160" => async_fn!(conversion::string_to_h160),
        "typeConversion.bytesToBase58" => async_fn!(conversion::bytes_to_base58),
        "crypto.keccak256" => async_fn!(conversion::keccak256),

        "json.fromBytes" => async_fn!(json::from_bytes),
        "json.try_fromBytes" => async_fn!(json::try_from_bytes),
        "json.toI64" => sync_fn!(json::to_i64),
        "json.toU64" => sync_fn!(json::to_u64),
        "json.toF64" => sync_fn!(json::to_f64),
        "json.toBigInt" => async_fn!(json::to_big_int),

        "yaml.fromBytes" => async_fn!(yaml::from_bytes),
        "yaml.try_fromBytes" => async_fn!(yaml::try_from_bytes),

        "ethereum.call" => async_fn!(ethereum::call),
        "ethereum.getBalance" => async_fn!(ethereum::get_balance),
        "ethereum.hasCode" => async_fn!(ethereum::has_code),
        "ethereum.encode" => async_fn!(ethereum::encode),
        "ethereum.decode" => async_fn!(ethereum::decode),

        "bigInt.plus" => async_fn!(numbers::big_int_plus),
        "bigInt.minus" => async_fn!(numbers::big_int_minus),
        "bigInt.times" => async_fn!(numbers::big_int_times),
        "bigInt.dividedBy" => async_fn!(numbers::big_int_divided_by),
        "bigInt.dividedByDecimal" => async_fn!(numbers::big_int_divided_by_decimal),
        "bigInt.mod" => async_fn!(numbers::big_int_mod),
        "bigInt.pow" => async_fn!(numbers::big_int_pow),
        "bigInt.fromString" => async_fn!(numbers::big_int_from_string),
        "bigInt.bitOr" => async_fn!(numbers::big_int_bit_or),
        "bigInt.bitAnd" => async_fn!(numbers::big_int_bit_and),
        "bigInt.leftShift" => async_fn!(numbers::big_int_left_shift),
        "bigInt.rightShift" => async_fn!(numbers::big_int_right_shift),
        "bigDecimal.plus" => async_fn!(numbers::big_decimal_plus),
        "bigDecimal.minus" => async_fn!(numbers::big_decimal_minus),
        "bigDecimal.times" => async_fn!(numbers::big_decimal_times),
        "bigDecimal.dividedBy" => async_fn!(numbers::big_decimal_divided_by),
        "bigDecimal.equals" => sync_fn!(numbers::big_decimal_equals),
        "bigDecimal.toString" => async_fn!(numbers::big_decimal_to_string),
        "bigDecimal.fromString" => async_fn!(numbers::big_decimal_from_string),

        "dataSource.create" => sync_fn!(data_source::create),
        "dataSource.createWithContext" => sync_fn!(data_source::create_with_context),
        "dataSource.address" => async_fn!(data_source::address),
        "dataSource.network" => async_fn!(data_source::network),
        "dataSource.context" => async_fn!(data_source::context),
        "ens.nameByHash" => async_fn!(ens::name_by_hash),

        "ipfs.cat" => async_fn!(ipfs::cat),
        "ipfs.getBlock" => async_fn!(ipfs::get_block),
        "ipfs.map" => async_fn!(ipfs::map),
        "arweave.transactionData" => sync_fn!(disabled::arweave_transaction_data),
        "box.profile" => sync_fn!(disabled::box_profile),

        _ => return Ok(false),
    };
    Ok(true)
}

/// The shape of most host functions: read the arguments, charge [`gas::HOST_CALL`] plus the
/// cost of the work (computed from the arguments, before doing it), compute, write the result.
pub(crate) fn compute<'a, A, R>(
    caller: Caller<'a, HostState>,
    read: impl FnOnce(&mut Reader<'_, '_>) -> Result<A, HostError> + Send + 'a,
    cost: impl FnOnce(&A) -> u64 + Send + 'a,
    op: impl FnOnce(A) -> Result<R, HostError> + Send + 'a,
) -> HostFuture<'a, u32>
where
    A: Send + 'a,
    R: ToAsc + Send + 'a,
{
    compute_nullable(caller, read, cost, |args| op(args).map(Some))
}

/// [`compute`] for functions whose result may be `null` (`None`).
pub(crate) fn compute_nullable<'a, A, R>(
    mut caller: Caller<'a, HostState>,
    read: impl FnOnce(&mut Reader<'_, '_>) -> Result<A, HostError> + Send + 'a,
    cost: impl FnOnce(&A) -> u64 + Send + 'a,
    op: impl FnOnce(A) -> Result<Option<R>, HostError> + Send + 'a,
) -> HostFuture<'a, u32>
where
    A: Send + 'a,
    R: ToAsc + Send + 'a,
{
    Box::new(async move {
        let mut cx = caller.as_context_mut();
        let args = read(&mut Reader::new(&mut cx)?)?;
        gas::charge(&mut cx, gas::HOST_CALL.saturating_add(cost(&args)))?;
        let result = op(args)?;
        write_value_opt(&mut cx, result.as_ref()).await
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The catalogue and the linker agree.
    #[test]
    fn every_listed_function_links() {
        let engine = wasmtime::Engine::default();
        let mut linker = Linker::new(&engine);
        for name in HOST_FUNCTIONS {
            assert!(
                link(&mut linker, "index", name).unwrap(),
                "{name} is not linked"
            );
        }
        assert!(!link(&mut linker, "env", "seed").unwrap());
    }
}
