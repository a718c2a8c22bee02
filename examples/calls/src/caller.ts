import { Spawned } from "../generated/Caller/Caller";
import { ChildRegistry } from "../generated/templates";
import { nextSeq } from "./seq";

export function handleSpawned(event: Spawned): void {
  nextSeq();
  ChildRegistry.create(event.params.registry);
}
