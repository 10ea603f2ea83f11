#ifndef AGENT_OPS_USERS_H
#define AGENT_OPS_USERS_H

#include <stdbool.h>
#include <stddef.h>

#include "agent/access/users.h"
#include "agent/ops/ops.h"

/*
 * Staff accounts of a node as operations (agent/access/users.h has the
 * keys and their cost): signing in, and user add, list, passwd, rm and
 * rekey.  Passphrases come in as bytes: the caller reads them (never from
 * argv or the environment).
 *
 * Roles: a lawyer reads and writes the consultations (of the node's
 * center, as the node's own rules say), the guides and the directory; a
 * statistician counts (stats) and never sees a confidential field; an
 * admin manages this node's users and runs the network operations where
 * the node is a network admin.  What neither shows nor writes a
 * confidential field needs nobody ("node only").
 */

/* Sign ${name} in with ${pass}; ${o}->user and ${o}->actor are his. */
int ops_signin(struct ops *, const char *, const char *, size_t,
    struct ops_err *);

/* Sign in with the recovery code (typed: dashes, case do not matter). */
int ops_signin_recovery(struct ops *, const char *, size_t,
    struct ops_err *);

/* Somebody is signed in (asking ${o}->signin if need be), or DENIED. */
int ops_need_user(struct ops *, struct ops_err *);
/* ... a lawyer or an admin: one who may see confidential fields. */
int ops_need_reader(struct ops *, struct ops_err *);
/* ... an admin of this node. */
int ops_need_admin(struct ops *, struct ops_err *);

/*
 * A lawyer writes the consultations of the node's own center only (an
 * admin's node may hold others'): DENIED for a record of ${center} when
 * the node's center is another.  Anyone else, or other collections: 0.
 */
int ops_user_may_write(struct ops *, const struct coll_def *, const char *,
    struct ops_err *);

/*
 * The same for record ${id} of ${c} (NULL: a new one): a lawyer may
 * neither write ${center} (NULL: unchanged) nor touch a record that is
 * another center's now: rm, import over it, set center= to move it.
 */
int ops_user_may_write_rec(struct ops *, const struct coll_def *,
    const uint8_t *, const char *, struct ops_err *);

/*
 * user add: a new account of ${role} with passphrase ${pass}, by a
 * signed-in admin.  On a node with no users yet (older nodes, or init
 * --user) it makes the first, an admin, with the data key: then
 * ${code} gets the one-time recovery code (else it is "").  Center keys
 * kept in clear before are sealed to the data key then.
 */
int ops_user_add(struct ops *, const char *, enum user_role, const char *,
    size_t, char[USER_CODE_LEN + 1], struct ops_err *);

/* user list: ${fn}(arg, name, role) by name. */
int ops_user_list(struct ops *, int (*)(void *, const char *,
    enum user_role), void *, struct ops_err *);

/*
 * user passwd: a new passphrase for ${name}: by himself, by an admin, or
 * (an admin's only) by a session of the recovery code.
 */
int ops_user_passwd(struct ops *, const char *, const char *, size_t,
    struct ops_err *);

/* user rm: by an admin; never the last admin. */
int ops_user_rm(struct ops *, const char *, struct ops_err *);

/*
 * user rekey: a new data key, by an admin: center keys sealed anew, the
 * remaining users' and the recovery code's entries re-sealed.  A removed
 * user's copy of an old entry opens nothing the node keeps since.
 */
int ops_user_rekey(struct ops *, struct ops_err *);

/*
 * For ops_ring(): the data key a rekey replaced, while center.keys may be
 * sealed to it still (1, into ${pk} and ${sk}; 0 if none), and forgetting
 * it once center.keys is sealed to the new one.
 */
int ops_data_prev(struct ops *, uint8_t[USER_KEY_LEN], uint8_t *);
int ops_data_prev_done(struct ops *, char[STORE_ERRLEN]);

/*
 * Buffer the write of this node's data key (public half) to its own
 * members record, where admins find it to seal center keys to (inside
 * the caller's transaction; nothing if the node has none yet).
 */
int ops_publish_data_key(struct ops *, char[STORE_ERRLEN]);

#endif /* !AGENT_OPS_USERS_H */
