import { Address, BigDecimal, BigInt, ByteArray, Bytes } from "@graphprotocol/graph-ts";
import { Memo as MemoEvent, Token as TokenContract, Transfer as TransferEvent } from "../generated/Token/Token";
import { Account, Memo, Token, Transfer } from "../generated/schema";

// A global set in the module's start function: the host's typeConversion.stringToH160 runs
// before any handler, so it must work before the heap is set up for the trigger.
let ZERO_ADDRESS = Address.fromString("0x0000000000000000000000000000000000000000");

/** The token entity for the emitting contract; created on first sight with three eth_calls. */
function loadToken(address: Address): Token {
  let id = address.toHex();
  let token = Token.load(id);
  if (token == null) {
    let contract = TokenContract.bind(address);
    token = new Token(id);
    token.name = contract.name();
    // try_ variant: a reverting call yields a fallback instead of failing the subgraph.
    let symbol = contract.try_symbol();
    token.symbol = symbol.reverted ? "???" : symbol.value;
    token.decimals = contract.decimals();
    token.totalSupply = BigInt.fromI32(0);
    token.transferCount = BigInt.fromI32(0);
  }
  return token as Token;
}

function scale(decimals: i32): BigDecimal {
  return BigInt.fromI32(10).pow(decimals as u8).toBigDecimal();
}

/** Adds `delta` to an account's balance and saves it. Each call loads afresh, so a
 *  self-transfer (subtract, save, then add, save) leaves the balance unchanged. */
function adjustBalance(address: Bytes, delta: BigInt, decimals: i32): void {
  let id = address.toHex();
  let account = Account.load(id);
  if (account == null) {
    account = new Account(id);
    account.address = address;
    account.balance = BigInt.fromI32(0);
  }
  account.balance = account.balance.plus(delta);
  account.balanceDecimal = account.balance.toBigDecimal().div(scale(decimals));
  account.save();
}

function eventId(hash: Bytes, logIndex: BigInt): string {
  return hash.toHex() + "-" + logIndex.toString();
}

export function handleTransfer(event: TransferEvent): void {
  let token = loadToken(event.address);
  let from = event.params.from;
  let to = event.params.to;
  let value = event.params.value;

  if (from.equals(ZERO_ADDRESS)) {
    token.totalSupply = token.totalSupply.plus(value);
  }
  if (to.equals(ZERO_ADDRESS)) {
    token.totalSupply = token.totalSupply.minus(value);
  }
  token.transferCount = token.transferCount.plus(BigInt.fromI32(1));
  token.save();

  adjustBalance(from, BigInt.fromI32(0).minus(value), token.decimals);
  adjustBalance(to, value, token.decimals);

  let transfer = new Transfer(eventId(event.transaction.hash, event.logIndex));
  transfer.from = from.toHex();
  transfer.to = to.toHex();
  transfer.value = value;
  transfer.blockNumber = event.block.number;
  transfer.blockHash = event.block.hash;
  transfer.timestamp = event.block.timestamp;
  transfer.transaction = event.transaction.hash;
  transfer.txFrom = event.transaction.from;
  transfer.txIndex = event.transaction.index;
  let input = event.transaction.input;
  let selector = new ByteArray(4);
  for (let i = 0; i < 4; i++) {
    selector[i] = input[i];
  }
  transfer.selector = selector as Bytes;
  transfer.logIndex = event.logIndex;
  transfer.save();
}

export function handleMemo(event: MemoEvent): void {
  let memo = new Memo(eventId(event.transaction.hash, event.logIndex));
  memo.sender = event.params.sender;
  memo.text = event.params.text;
  memo.data = event.params.data;
  memo.num = event.params.num;
  memo.flag = event.params.flag;
  memo.summary = event.params.text + "|" + event.params.text.length.toString() + "|" + event.params.num.toString();
  memo.save();
}
