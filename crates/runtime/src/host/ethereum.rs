//! `ethereum.call`, `ethereum.getBalance`, `ethereum.hasCode` (which ask the node about the
//! trigger's block), `ethereum.encode`, `ethereum.decode`.

use std::future::Future;

use alloy::dyn_abi::{DynSolType, DynSolValue, FunctionExt, JsonAbiExt};
use alloy::json_abi::{Function, Param};
use alloy::primitives::Address;
use sprig_value::BigInt;
use wasmtime::{AsContextMut, Caller, StoreContextMut};

use super::{compute_nullable, HostFuture};
use crate::api_version::ApiVersion;
use crate::asc::ethereum::SmartContractCall;
use crate::asc::write::Fields;
use crate::asc::{write_value, Reader, ToAsc};
use crate::asc::{ObjPtr, Objects, TypeIndex};
use crate::chain::CallResult;
use crate::error::{deterministic, HostError};
use crate::gas;
use crate::state::HostState;

/// `ethereum.call(call: SmartContractCall): Array<ethereum.Value> | null`.
///
/// Finds the function by contract name and signature among the data source's ABIs (not found:
/// deterministic), encodes the arguments, calls the contract at the trigger's block and decodes
/// the outputs. A revert, or output that does not decode, is `null`; an RPC failure or an I/O
/// timeout is non-deterministic. The handler's clock is paused while waiting on the node.
pub(crate) fn call(mut caller: Caller<'_, HostState>, (call,): (u32,)) -> HostFuture<'_, u32> {
    Box::new(async move {
        let mut cx = caller.as_context_mut();
        gas::charge(&mut cx, gas::HOST_CALL + gas::ETHEREUM_CALL)?;
        let call: SmartContractCall = Reader::new(&mut cx)?.read(call)?;
        let state = cx.data();
        let function = find_function(&state.ctx.data_source.abis, &call)?.clone();
        let data = function
            .abi_encode_input(&call.function_params)
            .map_err(|e| {
                deterministic!(
                    "Failed to encode the arguments of {}::{}: {e}",
                    call.contract_name,
                    call.function()
                )
            })?;
        let chain = state.ctx.chain.clone();
        let block = state.ctx.block;
        let description = format!(
            "ethereum.call to {} ({}::{}) at block {block}",
            call.contract_address,
            call.contract_name,
            call.function()
        );
        let response = ask_node(
            cx.data(),
            &description,
            chain.call(call.contract_address, data.into(), block),
        )
        .await?;
        let output = match response {
            CallResult::Revert => {
                tracing::debug!(target: "sprig::mapping", "{description} reverted");
                return Ok(0);
            }
            CallResult::Success(output) => output,
        };
        match function.abi_decode_output(&output) {
            Ok(values) => write_value(&mut cx, &ValueArray(values)).await,
            Err(e) => {
                // graph-node treats undecodable output (e.g. `0x` from a non-contract) as a
                // revert.
                tracing::debug!(target: "sprig::mapping", "{description}: cannot decode output: {e}");
                Ok(0)
            }
        }
    })
}

/// `ethereum.getBalance(address: Address): BigInt`: the account's balance in wei at the
/// trigger's block. Only from apiVersion 0.0.9 (earlier: deterministic error, as graph-node).
pub(crate) fn get_balance(
    mut caller: Caller<'_, HostState>,
    (address,): (u32,),
) -> HostFuture<'_, u32> {
    Box::new(async move {
        let mut cx = caller.as_context_mut();
        let address = read_state_query(&mut cx, address, gas::ETH_GET_BALANCE, "getBalance")?;
        let (chain, block) = (cx.data().ctx.chain.clone(), cx.data().ctx.block);
        let description = format!("ethereum.getBalance of {address} at block {block}");
        let balance = ask_node(cx.data(), &description, chain.get_balance(address, block)).await?;
        let balance = BigInt::from_unsigned_bytes_be(&balance.to_be_bytes::<32>());
        write_value(&mut cx, &balance).await
    })
}

/// `ethereum.hasCode(address: Address): Wrapped<bool>`: whether the account has code (is a
/// contract) at the trigger's block. Only from apiVersion 0.0.9 (earlier: deterministic error,
/// as graph-node).
pub(crate) fn has_code(
    mut caller: Caller<'_, HostState>,
    (address,): (u32,),
) -> HostFuture<'_, u32> {
    Box::new(async move {
        let mut cx = caller.as_context_mut();
        let address = read_state_query(&mut cx, address, gas::ETH_HAS_CODE, "hasCode")?;
        let (chain, block) = (cx.data().ctx.chain.clone(), cx.data().ctx.block);
        let description = format!("ethereum.hasCode of {address} at block {block}");
        let code = ask_node(cx.data(), &description, chain.get_code(address, block)).await?;
        write_value(&mut cx, &WrappedBool(!code.is_empty())).await
    })
}

/// The common start of `getBalance` and `hasCode`, in graph-node's order: charge the gas, refuse
/// mappings older than apiVersion 0.0.9, read the address.
fn read_state_query(
    cx: &mut StoreContextMut<'_, HostState>,
    address: u32,
    cost: u64,
    name: &str,
) -> Result<Address, HostError> {
    gas::charge(cx, gas::HOST_CALL + cost)?;
    if cx.data().api_version < ApiVersion::V0_0_9 {
        return Err(deterministic!(
            "ethereum.{name} call is not supported before API version 0.0.9"
        ));
    }
    Ok(Address::from(Reader::new(cx)?.read::<[u8; 20]>(address)?))
}

/// Waits for the node's answer to `request`, with the handler's clock paused (a slow node must
/// not use up the mapping's own time) and bounded by the I/O timeout if one is set. A failure or
/// a timeout is non-deterministic: the block is retried, nothing is recorded.
fn ask_node<'a, T>(
    state: &HostState,
    description: &'a str,
    request: impl Future<Output = anyhow::Result<T>> + Send + 'a,
) -> impl Future<Output = Result<T, HostError>> + Send + 'a {
    let clock = state.clock.clone();
    let io_timeout = state.io_timeout;
    async move {
        // The guard restarts the clock when dropped, also on the early returns below.
        let _paused = clock.as_ref().map(|clock| clock.pause());
        let response = match io_timeout {
            Some(limit) => tokio::time::timeout(limit, request).await.map_err(|_| {
                HostError::non_deterministic(anyhow::anyhow!(
                    "{description} timed out after {limit:?}"
                ))
            })?,
            None => request.await,
        };
        response
            .map_err(|e| HostError::non_deterministic(e.context(format!("{description} failed"))))
    }
}

/// `Wrapped<bool>`: `{ inner: bool }`, a 1-byte payload.
struct WrappedBool(bool);

impl ToAsc for WrappedBool {
    fn to_asc(&self, objects: &mut Objects) -> ObjPtr {
        objects.class(TypeIndex::WrappedBool, Fields::new().u8(u8::from(self.0)))
    }
}

/// The function `call` names: by contract name among the data source's ABIs, then by name and
/// graph-ts's signature `name(inputs):(outputs)`; before apiVersion 0.0.4 (no signature), the
/// first function of that name in the ABI, as graph-node picks it.
fn find_function<'a>(
    abis: &'a [sprig_manifest::Abi],
    call: &SmartContractCall,
) -> Result<&'a Function, HostError> {
    let abi = abis
        .iter()
        .find(|abi| abi.name == call.contract_name)
        .ok_or_else(|| {
            deterministic!(
                "Could not find ABI for contract \"{}\", try adding it to the 'abis' section of \
                 the subgraph manifest",
                call.contract_name
            )
        })?;
    let overloads = abi
        .contract
        .function(&call.function_name)
        .filter(|overloads| !overloads.is_empty())
        .ok_or_else(|| {
            deterministic!(
                "Unknown function \"{}::{}\" called from WASM runtime",
                call.contract_name,
                call.function_name
            )
        })?;
    let Some(wanted) = &call.function_signature else {
        return Ok(&overloads[0]);
    };
    overloads
        .iter()
        .find(|f| signature(f) == *wanted)
        .ok_or_else(|| {
            deterministic!(
                "Unknown function \"{}::{}\" with signature `{}` called from WASM runtime",
                call.contract_name,
                call.function_name,
                wanted
            )
        })
}

/// graph-ts's function signature: `name(in,...)` and, if there are outputs, `:(out,...)`,
/// with tuples spelled out as `(a,b)` (ethabi's `Function::signature`).
fn signature(function: &Function) -> String {
    let types = |params: &[Param]| {
        params
            .iter()
            .map(|p| p.selector_type().into_owned())
            .collect::<Vec<_>>()
            .join(",")
    };
    let mut s = format!("{}({})", function.name, types(&function.inputs));
    if !function.outputs.is_empty() {
        s.push_str(&format!(":({})", types(&function.outputs)));
    }
    s
}

/// `Array<ethereum.Value>`.
struct ValueArray(Vec<DynSolValue>);

impl ToAsc for ValueArray {
    fn to_asc(&self, objects: &mut Objects) -> ObjPtr {
        let items: Vec<ObjPtr> = self.0.iter().map(|v| v.to_asc(objects)).collect();
        objects.array_of(TypeIndex::ArrayEthereumValue, &items)
    }
}

/// `ethereum.encode(value): Bytes | null`: the ABI encoding of one value (as a one-element
/// tuple: dynamic values start with an offset word).
pub(crate) fn encode(mut caller: Caller<'_, HostState>, (value,): (u32,)) -> HostFuture<'_, u32> {
    Box::new(async move {
        let mut cx = caller.as_context_mut();
        let value: DynSolValue = Reader::new(&mut cx)?.read(value)?;
        let encoded = value.abi_encode();
        gas::charge(
            &mut cx,
            gas::HOST_CALL + gas::PER_BYTE_PARSED * encoded.len() as u64,
        )?;
        write_value(&mut cx, &encoded).await
    })
}

/// `ethereum.decode(types, data): ethereum.Value | null`: the inverse of `encode` for a type
/// such as `(address,uint256)`; an unparsable type or undecodable data is `null`.
pub(crate) fn decode(
    caller: Caller<'_, HostState>,
    (types, data): (u32, u32),
) -> HostFuture<'_, u32> {
    compute_nullable(
        caller,
        move |r| Ok((r.read::<String>(types)?, r.read::<Vec<u8>>(data)?)),
        |(types, data)| gas::PER_BYTE_PARSED * (types.len() + data.len()) as u64,
        |(types, data)| {
            let decoded = DynSolType::parse(&types)
                .map_err(|e| e.to_string())
                .and_then(|ty| ty.abi_decode(&data).map_err(|e| e.to_string()));
            if let Err(e) = &decoded {
                tracing::debug!(target: "sprig::mapping", "ethereum.decode of `{types}` failed: {e}");
            }
            Ok(decoded.ok())
        },
    )
}
