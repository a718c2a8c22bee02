import { FilePublished } from "../generated/Announcements/Files";
import { Doc as DocTemplate } from "../generated/templates";

// Only creates the file data source: the file is read by `handleDoc` whenever IPFS has it,
// while this data source's blocks are indexed without waiting for it.
export function handleAnnounced(event: FilePublished): void {
  DocTemplate.create(event.params.cid);
}
