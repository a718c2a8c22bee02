//! `RpcClient` against a real anvil node: what it returns must match what the node says.

mod support;

use std::str::FromStr;

use alloy::primitives::{Address, Bytes, B256, U256};
use serde_json::{json, Value};
use sprig_chain::rpc::{CallOutcome, RpcError};
use sprig_chain::testing::{Anvil, TxRequest};
use sprig_chain::Receipt;
use sprig_value::BlockPtr;
use support::{calldata, emitter_code, ping_topic, pong_topic, transact};

/// A field of a raw JSON-RPC object, parsed as `T` (hex strings for hashes and quantities).
fn field<T: FromStr>(object: &Value, name: &str) -> T
where
    T::Err: std::fmt::Debug,
{
    let text = object[name]
        .as_str()
        .unwrap_or_else(|| panic!("{name} missing from {object}"));
    text.parse()
        .unwrap_or_else(|e| panic!("{name} = {text}: {e:?}"))
}

fn quantity(object: &Value, name: &str) -> u64 {
    field::<U256>(object, name).to()
}

fn ptr(number: u64, hash: B256) -> BlockPtr {
    BlockPtr {
        number,
        hash: hash.0,
    }
}

fn rpc_error(err: &anyhow::Error) -> &RpcError {
    err.downcast_ref::<RpcError>()
        .unwrap_or_else(|| panic!("not an RpcError: {err:#}"))
}

#[tokio::test]
async fn chain_id_and_latest_block_number() {
    let anvil = Anvil::spawn().unwrap();
    let client = anvil.client();
    assert_eq!(client.chain_id().await.unwrap(), 31337);
    assert_eq!(client.latest_block_number().await.unwrap(), 0);
    anvil.mine(5).await.unwrap();
    assert_eq!(client.latest_block_number().await.unwrap(), 5);
}

#[tokio::test]
async fn block_by_number_matches_the_raw_answer() {
    let anvil = Anvil::spawn().unwrap();
    let emitter = anvil.deploy(emitter_code()).await.unwrap();
    let receipt = transact(&anvil, emitter, "ping(uint256)", &[7]).await;
    let client = anvil.client();

    for number in [0, 1, receipt.block_number] {
        let block = client.block_by_number(number).await.unwrap();
        let raw: Value = anvil
            .request(
                "eth_getBlockByNumber",
                json!([format!("{number:#x}"), true]),
            )
            .await
            .unwrap();
        assert_eq!(block.number, quantity(&raw, "number"));
        assert_eq!(block.hash, field::<B256>(&raw, "hash"));
        assert_eq!(block.parent_hash, field::<B256>(&raw, "parentHash"));
        assert_eq!(block.uncles_hash, field::<B256>(&raw, "sha3Uncles"));
        assert_eq!(block.author, field::<Address>(&raw, "miner"));
        assert_eq!(block.state_root, field::<B256>(&raw, "stateRoot"));
        assert_eq!(
            block.transactions_root,
            field::<B256>(&raw, "transactionsRoot")
        );
        assert_eq!(block.receipts_root, field::<B256>(&raw, "receiptsRoot"));
        assert_eq!(block.gas_used, field::<U256>(&raw, "gasUsed"));
        assert_eq!(block.gas_limit, field::<U256>(&raw, "gasLimit"));
        assert_eq!(block.timestamp, quantity(&raw, "timestamp"));
        assert_eq!(block.difficulty, field::<U256>(&raw, "difficulty"));
        assert_eq!(
            block.total_difficulty,
            field::<U256>(&raw, "totalDifficulty")
        );
        assert_eq!(block.size, Some(field::<U256>(&raw, "size")));
        assert_eq!(
            block.base_fee_per_gas,
            Some(field::<U256>(&raw, "baseFeePerGas"))
        );

        let raw_txs = raw["transactions"].as_array().unwrap();
        assert_eq!(block.transactions.len(), raw_txs.len());
        for (tx, raw_tx) in block.transactions.iter().zip(raw_txs) {
            assert_eq!(tx.hash, field::<B256>(raw_tx, "hash"));
            assert_eq!(tx.index, quantity(raw_tx, "transactionIndex"));
            assert_eq!(tx.from, field::<Address>(raw_tx, "from"));
            assert_eq!(tx.to, raw_tx["to"].as_str().map(|to| to.parse().unwrap()));
            assert_eq!(tx.value, field::<U256>(raw_tx, "value"));
            assert_eq!(tx.gas_limit, field::<U256>(raw_tx, "gas"));
            assert_eq!(tx.input, field::<Bytes>(raw_tx, "input"));
            assert_eq!(tx.nonce, field::<U256>(raw_tx, "nonce"));
            // The effective gas price, as the receipt states it.
            let raw_receipt: Value = anvil
                .request("eth_getTransactionReceipt", json!([tx.hash]))
                .await
                .unwrap();
            assert_eq!(
                tx.gas_price,
                field::<U256>(&raw_receipt, "effectiveGasPrice")
            );
        }
    }

    let block = client.block_by_number(receipt.block_number).await.unwrap();
    assert_eq!(block.transactions.len(), 1);
    assert_eq!(block.transactions[0].to, Some(emitter));
    assert_eq!(block.ptr(), ptr(receipt.block_number, receipt.block_hash));
    // The same block by hash.
    assert_eq!(client.block_by_hash(block.hash).await.unwrap(), block);
    // The deployment creates a contract: no recipient.
    let deployment = client.block_by_number(1).await.unwrap();
    assert_eq!(deployment.transactions[0].to, None);
}

#[tokio::test]
async fn block_beyond_the_head_is_not_found() {
    let anvil = Anvil::spawn().unwrap();
    let client = anvil.client();
    let err = client.block_by_number(10).await.unwrap_err();
    assert!(rpc_error(&err).is_not_found(), "{err:#}");
    assert!(err.to_string().contains("block #10"), "{err:#}");
    let err = client
        .block_by_hash(B256::repeat_byte(7))
        .await
        .unwrap_err();
    assert!(rpc_error(&err).is_not_found(), "{err:#}");
}

#[tokio::test(flavor = "multi_thread")]
async fn blocks_returns_the_range_in_order() {
    let anvil = Anvil::spawn().unwrap();
    let emitter = anvil.deploy(emitter_code()).await.unwrap();
    for n in 0..5 {
        transact(&anvil, emitter, "ping(uint256)", &[n]).await;
    }
    anvil.mine(200).await.unwrap();
    let head = anvil.block_number().await.unwrap();
    let client = anvil.client();

    let blocks = client.blocks(0..=head).await.unwrap();
    assert_eq!(blocks.len() as u64, head + 1);
    for (expected, block) in (0..=head).zip(&blocks) {
        assert_eq!(block.number, expected);
    }
    for pair in blocks.windows(2) {
        assert_eq!(
            pair[1].parent_hash, pair[0].hash,
            "block {}",
            pair[1].number
        );
    }
    assert_eq!(blocks[3], client.block_by_number(3).await.unwrap());

    // Any order, gaps and repeats are kept as asked.
    let some = client.blocks_by_number(&[9, 2, 150, 2]).await.unwrap();
    let numbers: Vec<u64> = some.iter().map(|b| b.number).collect();
    assert_eq!(numbers, [9, 2, 150, 2]);

    #[allow(clippy::reversed_empty_ranges)]
    let none = client.blocks(5..=4).await.unwrap();
    assert!(none.is_empty());

    let err = client.blocks(head - 2..=head + 3).await.unwrap_err();
    assert!(rpc_error(&err).is_not_found(), "{err:#}");
}

#[tokio::test]
async fn logs_are_filtered_by_address_and_topic() {
    let anvil = Anvil::spawn().unwrap();
    let a = anvil.deploy(emitter_code()).await.unwrap();
    let b = anvil.deploy(emitter_code()).await.unwrap();
    let receipts: Vec<Receipt> = vec![
        transact(&anvil, a, "ping(uint256)", &[1]).await,
        transact(&anvil, a, "pong(uint256)", &[2]).await,
        transact(&anvil, b, "ping(uint256)", &[3]).await,
        transact(&anvil, a, "pingMany(uint256)", &[3]).await,
        transact(&anvil, b, "pong(uint256)", &[4]).await,
    ];
    let all_logs: Vec<_> = receipts.iter().flat_map(|r| r.logs.clone()).collect();
    let expect = |address: Option<Address>, topic: Option<B256>| {
        all_logs
            .iter()
            .filter(|log| address.is_none_or(|a| log.address == a))
            .filter(|log| topic.is_none_or(|t| log.topics[0] == t))
            .cloned()
            .collect::<Vec<_>>()
    };
    let head = anvil.block_number().await.unwrap();
    let client = anvil.client();
    let (ping, pong) = (ping_topic(), pong_topic());

    let logs = client.logs(0..=head, &[a], &[ping]).await.unwrap();
    assert_eq!(logs.len(), 4);
    assert_eq!(logs, expect(Some(a), Some(ping)));

    let logs = client.logs(0..=head, &[a, b], &[ping]).await.unwrap();
    assert_eq!(logs, expect(None, Some(ping)));
    let logs = client.logs(0..=head, &[a], &[]).await.unwrap();
    assert_eq!(logs, expect(Some(a), None));
    let logs = client.logs(0..=head, &[], &[pong]).await.unwrap();
    assert_eq!(logs, expect(None, Some(pong)));
    let logs = client.logs(0..=head, &[], &[ping, pong]).await.unwrap();
    assert_eq!(logs, all_logs);
    assert_eq!(logs.len(), 7);

    // Only the range asked for.
    let pings_of_many = client
        .logs(
            receipts[3].block_number..=receipts[3].block_number,
            &[],
            &[],
        )
        .await
        .unwrap();
    assert_eq!(pings_of_many, receipts[3].logs);
    let indexes: Vec<u64> = pings_of_many.iter().map(|l| l.log_index).collect();
    assert_eq!(indexes, [0, 1, 2]);

    // Split over several requests when there are more addresses than one request may carry;
    // the result is still in (block, log index) order.
    let one_address_per_request = sprig_chain::rpc::RpcClient::connect_with(
        anvil.url(),
        sprig_chain::rpc::RpcConfig {
            max_log_addresses: 1,
            ..Anvil::client_config()
        },
    )
    .unwrap();
    let logs = one_address_per_request
        .logs(0..=head, &[b, a], &[])
        .await
        .unwrap();
    assert_eq!(logs, all_logs);
}

#[tokio::test]
async fn receipts_match_the_raw_answer() {
    let anvil = Anvil::spawn().unwrap();
    let emitter = anvil.deploy(emitter_code()).await.unwrap();
    let ping = transact(&anvil, emitter, "ping(uint256)", &[5]).await;
    let client = anvil.client();

    let receipt = client.receipt(ping.transaction_hash).await.unwrap();
    let raw: Value = anvil
        .request("eth_getTransactionReceipt", json!([ping.transaction_hash]))
        .await
        .unwrap();
    assert_eq!(
        receipt.transaction_hash,
        field::<B256>(&raw, "transactionHash")
    );
    assert_eq!(
        receipt.transaction_index,
        quantity(&raw, "transactionIndex")
    );
    assert_eq!(receipt.block_hash, field::<B256>(&raw, "blockHash"));
    assert_eq!(receipt.block_number, quantity(&raw, "blockNumber"));
    assert_eq!(
        receipt.cumulative_gas_used,
        field::<U256>(&raw, "cumulativeGasUsed")
    );
    assert_eq!(receipt.gas_used, field::<U256>(&raw, "gasUsed"));
    assert_eq!(receipt.status, Some(1));
    assert_eq!(receipt.contract_address, None);
    assert_eq!(receipt.logs_bloom, field::<Bytes>(&raw, "logsBloom"));
    assert_eq!(receipt.logs.len(), 1);
    let log = &receipt.logs[0];
    assert_eq!(log.address, emitter);
    assert_eq!(log.topics[0], ping_topic());
    assert_eq!(log.topics[1], B256::from(U256::from(5)));
    assert_eq!(log.block_hash, receipt.block_hash);
    assert_eq!(log.transaction_hash, receipt.transaction_hash);

    // A deployment names its contract; a failed transaction has status 0.
    let deployment = client
        .receipt(client.block_by_number(1).await.unwrap().transactions[0].hash)
        .await
        .unwrap();
    assert_eq!(deployment.contract_address, Some(emitter));
    let failed = anvil
        .send_transaction(TxRequest::call(emitter, calldata("fail()", &[])).gas(100_000))
        .await
        .unwrap();
    assert_eq!(failed.status, Some(0));

    let err = client.receipt(B256::repeat_byte(1)).await.unwrap_err();
    assert!(rpc_error(&err).is_not_found(), "{err:#}");
}

#[tokio::test]
async fn block_receipts_returns_every_receipt_in_block_order() {
    let anvil = Anvil::spawn().unwrap();
    let emitter = anvil.deploy(emitter_code()).await.unwrap();
    // Several transactions in one block.
    let _: Value = anvil
        .request("evm_setAutomine", json!([false]))
        .await
        .unwrap();
    let mut hashes = Vec::new();
    for (signature, n) in [
        ("ping(uint256)", 1u64),
        ("pong(uint256)", 2),
        ("pingMany(uint256)", 2),
    ] {
        let from = anvil.accounts().await.unwrap()[0];
        let data = calldata(signature, &[U256::from(n)]);
        let hash: B256 = anvil
            .request(
                "eth_sendTransaction",
                json!([{ "from": from, "to": emitter, "input": data, "gas": "0x100000" }]),
            )
            .await
            .unwrap();
        hashes.push(hash);
    }
    let _: Value = anvil.request("evm_mine", json!([])).await.unwrap();
    let client = anvil.client();
    let first = anvil.wait_for_receipt(hashes[0]).await.unwrap();

    let receipts = client
        .block_receipts(ptr(first.block_number, first.block_hash))
        .await
        .unwrap();
    assert_eq!(receipts.len(), 3);
    for (receipt, hash) in receipts.iter().zip(&hashes) {
        assert_eq!(receipt, &client.receipt(*hash).await.unwrap());
    }
    let log_indexes: Vec<u64> = receipts
        .iter()
        .flat_map(|r| r.logs.iter().map(|l| l.log_index))
        .collect();
    assert_eq!(log_indexes, [0, 1, 2, 3]);

    let err = client
        .block_receipts(ptr(first.block_number, B256::repeat_byte(3)))
        .await
        .unwrap_err();
    assert!(rpc_error(&err).is_not_found(), "{err:#}");
}

#[tokio::test]
async fn call_runs_at_the_given_block() {
    let anvil = Anvil::spawn().unwrap();
    let emitter = anvil.deploy(emitter_code()).await.unwrap();
    let first = transact(&anvil, emitter, "ping(uint256)", &[1]).await;
    let second = transact(&anvil, emitter, "pingMany(uint256)", &[4]).await;
    let client = anvil.client();
    let count = calldata("count()", &[]);

    for (receipt, expected) in [(&first, 1u64), (&second, 5)] {
        let at = ptr(receipt.block_number, receipt.block_hash);
        let outcome = client.call(emitter, count.clone(), at).await.unwrap();
        assert_eq!(
            outcome,
            CallOutcome::Success(U256::from(expected).to_be_bytes::<32>().to_vec().into())
        );
    }

    // At a block the node doesn't know: an error (maybe a reorg), never a revert.
    let err = client
        .call(
            emitter,
            count,
            ptr(first.block_number, B256::repeat_byte(9)),
        )
        .await
        .unwrap_err();
    assert!(matches!(rpc_error(&err), RpcError::Rpc { .. }), "{err:#}");
}

#[tokio::test]
async fn failing_calls_are_reverts() {
    let anvil = Anvil::spawn().unwrap();
    let emitter = anvil.deploy(emitter_code()).await.unwrap();
    let head = head(&anvil).await;
    let client = anvil.client();

    let revert = |outcome: CallOutcome| match outcome {
        CallOutcome::Revert(message) => message,
        other => panic!("expected a revert, got {other:?}"),
    };
    let message = revert(
        client
            .call(emitter, calldata("fail()", &[]), head)
            .await
            .unwrap(),
    );
    assert!(message.contains("execution reverted"), "{message}");
    // anvil words halts as revm names them ("EVM error InvalidFEOpcode").
    for function in ["invalidOpcode()", "burn()"] {
        let message = revert(
            client
                .call(emitter, calldata(function, &[]), head)
                .await
                .unwrap(),
        );
        assert!(message.starts_with("EVM error"), "{function}: {message}");
    }
    // A function that doesn't exist reverts in the dispatcher; an address without code returns
    // nothing.
    revert(
        client
            .call(emitter, calldata("nope()", &[]), head)
            .await
            .unwrap(),
    );
    assert_eq!(
        client
            .call(Address::repeat_byte(0x42), calldata("count()", &[]), head)
            .await
            .unwrap(),
        CallOutcome::Revert("empty result".to_owned())
    );
}

#[tokio::test]
async fn balance_and_code_are_read_at_the_given_block() {
    let anvil = Anvil::spawn().unwrap();
    let client = anvil.client();
    let payee = Address::repeat_byte(0x5a);
    let wei = U256::from(10u64).pow(U256::from(18u64));
    let paid = anvil
        .send_transaction(TxRequest::call(payee, Bytes::new()).value(wei))
        .await
        .unwrap();
    let paid_again = anvil
        .send_transaction(TxRequest::call(payee, Bytes::new()).value(U256::from(3)))
        .await
        .unwrap();
    let deployed_at = anvil
        .send_transaction(TxRequest::create(emitter_code()))
        .await
        .unwrap();
    let emitter = deployed_at.contract_address.unwrap();
    let at = |receipt: &Receipt| ptr(receipt.block_number, receipt.block_hash);

    // Each block sees its own state, not the head's.
    assert_eq!(client.balance(payee, at(&paid)).await.unwrap(), wei);
    assert_eq!(
        client.balance(payee, at(&paid_again)).await.unwrap(),
        wei + U256::from(3)
    );
    let genesis = client.block_by_number(0).await.unwrap().ptr();
    assert_eq!(client.balance(payee, genesis).await.unwrap(), U256::ZERO);

    // Code exists from the deployment's block on; an account that only holds ether has none.
    assert!(client
        .code(emitter, at(&paid_again))
        .await
        .unwrap()
        .is_empty());
    let code = client.code(emitter, at(&deployed_at)).await.unwrap();
    let raw: Bytes = anvil
        .request(
            "eth_getCode",
            json!([emitter, format!("0x{:x}", deployed_at.block_number)]),
        )
        .await
        .unwrap();
    assert!(!code.is_empty());
    assert_eq!(code, raw);
    assert!(client
        .code(payee, at(&deployed_at))
        .await
        .unwrap()
        .is_empty());

    // At a block the node doesn't know: an error (maybe a reorg), not a zero balance.
    let unknown = ptr(paid.block_number, B256::repeat_byte(9));
    let err = client.balance(payee, unknown).await.unwrap_err();
    assert!(matches!(rpc_error(&err), RpcError::Rpc { .. }), "{err:#}");
    let err = client.code(emitter, unknown).await.unwrap_err();
    assert!(matches!(rpc_error(&err), RpcError::Rpc { .. }), "{err:#}");
}

/// The latest block as a pointer.
async fn head(anvil: &Anvil) -> BlockPtr {
    let number = anvil.block_number().await.unwrap();
    anvil.client().block_by_number(number).await.unwrap().ptr()
}

#[tokio::test]
async fn traces_are_filtered_by_address_and_match_the_raw_answer() {
    let anvil = Anvil::spawn().unwrap();
    let a = anvil.deploy(emitter_code()).await.unwrap();
    let b = anvil.deploy(emitter_code()).await.unwrap();
    let receipts = [
        transact(&anvil, a, "ping(uint256)", &[1]).await,
        transact(&anvil, b, "ping(uint256)", &[2]).await,
        transact(&anvil, a, "pong(uint256)", &[3]).await,
    ];
    let head = anvil.block_number().await.unwrap();
    let client = anvil.client();

    let traces = client.traces(0..=head, &[a]).await.unwrap();
    let raw: Value = anvil
        .request(
            "trace_filter",
            json!([{ "fromBlock": "0x0", "toBlock": format!("{head:#x}"), "toAddress": [a] }]),
        )
        .await
        .unwrap();
    let raw = raw.as_array().unwrap();
    // anvil counts a contract's creation as an action "to" it: a trace without a call.
    assert_eq!(traces.len(), 3);
    assert_eq!(raw.len(), 3);
    assert_eq!(raw[0]["type"], "create");
    assert!(traces[0].call.is_none() && traces[0].result.is_none());
    for ((trace, raw), receipt) in traces[1..]
        .iter()
        .zip(&raw[1..])
        .zip([&receipts[0], &receipts[2]])
    {
        let call = trace.call.as_ref().expect("a call action");
        assert_eq!(call.call_type, "call");
        assert_eq!(call.to, a);
        assert_eq!(call.from, field::<Address>(&raw["action"], "from"));
        assert_eq!(call.input, field::<Bytes>(&raw["action"], "input"));
        assert_eq!(call.value, U256::ZERO);
        let result = trace.result.as_ref().expect("a call result");
        assert_eq!(result.output, field::<Bytes>(&raw["result"], "output"));
        assert_eq!(result.gas_used, quantity(&raw["result"], "gasUsed"));
        assert_eq!(trace.block_number, receipt.block_number);
        assert_eq!(trace.block_hash, receipt.block_hash);
        assert_eq!(trace.transaction_hash, Some(receipt.transaction_hash));
        assert_eq!(trace.transaction_position, Some(receipt.transaction_index));
        assert!(trace.trace_address.is_empty());
        assert_eq!(trace.error, None);
    }

    // Only the range asked for; both addresses; and the same answer when the range and the
    // addresses are split over one request per block and address.
    let one = client
        .traces(receipts[1].block_number..=receipts[1].block_number, &[a, b])
        .await
        .unwrap();
    assert_eq!(one.len(), 1);
    assert_eq!(one[0].call.as_ref().unwrap().to, b);
    let both = client.traces(0..=head, &[a, b]).await.unwrap();
    assert_eq!(both.len(), 5);
    let split = sprig_chain::rpc::RpcClient::connect_with(
        anvil.url(),
        sprig_chain::rpc::RpcConfig {
            max_log_addresses: 1,
            max_trace_range: 1,
            ..Anvil::client_config()
        },
    )
    .unwrap();
    assert_eq!(split.traces(0..=head, &[b, a]).await.unwrap(), both);
    assert_eq!(client.traces(0..=head, &[]).await.unwrap(), both);
}
