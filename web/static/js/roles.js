// What each role may do in the page. The server enforces the same (board/commands.py ROLE_RANK):
// the page only leaves out what would be refused.

const RANK = { viewer: 0, author: 1, editor: 2, admin: 3 };

function rank(role) {
  return RANK[role] ?? -1;
}

/** Create cards and edit their text (an author's wait for approval: CONTRACT §12). */
export function mayWrite(role) {
  return rank(role) >= RANK.author;
}

/** Everything else an editor does: move, send, delete, approve, pause, clear… */
export function mayEdit(role) {
  return rank(role) >= RANK.editor;
}
