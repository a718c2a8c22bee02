import { ethereum } from "@graphprotocol/graph-ts";
import { Registered, RegisterCall } from "../generated/Registry/Registry";
import { CallBlock, RegisteredEvent, Registration } from "../generated/schema";
import { nextSeq } from "./seq";

// Shared by the static Registry data source and the ChildRegistry template.
export function handleRegister(call: RegisterCall): void {
  let registration = new Registration(call.transaction.hash.toHex() + "-" + call.inputs.id.toString());
  registration.registry = call.to;
  registration.from = call.from;
  registration.txFrom = call.transaction.from;
  registration.registryId = call.inputs.id;
  registration.name = call.inputs.name;
  registration.count = call.outputs.count;
  registration.blockNumber = call.block.number;
  registration.seq = nextSeq();
  registration.save();
}

export function handleRegistered(event: Registered): void {
  let registered = new RegisteredEvent(event.transaction.hash.toHex() + "-" + event.logIndex.toString());
  registered.registryId = event.params.id;
  registered.blockNumber = event.block.number;
  registered.seq = nextSeq();
  registered.save();
}

export function handleCallBlock(block: ethereum.Block): void {
  let seen = new CallBlock(block.number.toString());
  seen.timestamp = block.timestamp;
  seen.seq = nextSeq();
  seen.save();
}
