// The repo room: the Git workspace, atomic writes inside it, and the
// kustomization.yaml edits that keep it in step.
export { openWorkspace } from "./git.ts";
export type { CommitInput, CommitResult, GitAuthor, LogEntry, SyncResult, Workspace, WorkspaceLog, WorkspaceOptions } from "./git.ts";
export { parseRemote } from "./git-auth.ts";
export type { GitAuth, Remote, RemoteKind } from "./git-auth.ts";
export { GitError, classifyGitFailure } from "./git-errors.ts";
export type { GitErrorCode, GitFailureKind } from "./git-errors.ts";
export { worktreeBlobIds } from "./blob-ids.ts";
export { selectTreeFiles, tooLarge, type FileScanOptions } from "./scan.ts";
export { GitObjects, type BlobContent, type TreeChange, type TreeEntry } from "./objects.ts";
export { PathOutsideRepositoryError, readFileInside, removeFile, writeFileAtomic } from "./write.ts";
export { workingTree, type WorkingTree } from "./working-tree.ts";
export type { WriteResult } from "./write.ts";
export { addListEntry, addResource, removeListEntry, removeResource } from "./kustomization.ts";
