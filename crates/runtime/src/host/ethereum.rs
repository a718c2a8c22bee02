//! `ethereum.call`, `ethereum.encode`, `ethereum.decode`.

use alloy::dyn_abi::{DynSolType, DynSolValue, FunctionExt, JsonAbiExt};
use alloy::json_abi::{Function, Param};
use wasmtime::{AsContextMut, Caller};

use super::{compute_nullable, HostFuture};
use crate::asc::ethereum::SmartContractCall;
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
                    call.function_signature
                )
            })?;
        let chain = state.ctx.chain.clone();
        let block = state.ctx.block;
        let clock = state.clock.clone();
        let io_timeout = state.io_timeout;
        let description = || {
            format!(
                "ethereum.call to {} ({}::{}) at block {block}",
                call.contract_address, call.contract_name, call.function_signature
            )
        };

        let request = chain.call(call.contract_address, data.into(), block);
        let response = {
            let _paused = clock.as_ref().map(|clock| clock.pause());
            match io_timeout {
                Some(limit) => match tokio::time::timeout(limit, request).await {
                    Ok(response) => response,
                    Err(_) => {
                        return Err(HostError::non_deterministic(anyhow::anyhow!(
                            "{} timed out after {limit:?}",
                            description()
                        ))
                        .into())
                    }
                },
                None => request.await,
            }
        };
        let output = match response {
            Err(e) => {
                return Err(HostError::non_deterministic(
                    e.context(format!("{} failed", description())),
                )
                .into())
            }
            Ok(CallResult::Revert) => {
                tracing::debug!(target: "sprig::mapping", "{} reverted", description());
                return Ok(0);
            }
            Ok(CallResult::Success(output)) => output,
        };
        match function.abi_decode_output(&output) {
            Ok(values) => write_value(&mut cx, &ValueArray(values)).await,
            Err(e) => {
                // graph-node treats undecodable output (e.g. `0x` from a non-contract) as a
                // revert.
                tracing::debug!(target: "sprig::mapping", "{}: cannot decode output: {e}", description());
                Ok(0)
            }
        }
    })
}

/// The function `call` names: by contract name among the data source's ABIs, then by name and
/// graph-ts's signature `name(inputs):(outputs)`.
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
    abi.contract
        .function(&call.function_name)
        .into_iter()
        .flatten()
        .find(|f| signature(f) == call.function_signature)
        .ok_or_else(|| {
            deterministic!(
                "Unknown function \"{}::{}\" with signature `{}` called from WASM runtime",
                call.contract_name,
                call.function_name,
                call.function_signature
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
