#ifndef AGENT_CMDS_H
#define AGENT_CMDS_H

struct cli;

/* Each command gets the arguments after its name, global options removed. */
int cmd_init(struct cli *, int, char **);
int cmd_id(struct cli *, int, char **);
int cmd_status(struct cli *, int, char **);
int cmd_audit(struct cli *, int, char **);
int cmd_verify(struct cli *, int, char **);
int cmd_rebuild(struct cli *, int, char **);
int cmd_backup(struct cli *, int, char **);
int cmd_restore(struct cli *, int, char **);
int cmd_vector(struct cli *, int, char **);
int cmd_add(struct cli *, int, char **);
int cmd_set(struct cli *, int, char **);
int cmd_rm(struct cli *, int, char **);
int cmd_show(struct cli *, int, char **);
int cmd_list(struct cli *, int, char **);
int cmd_export(struct cli *, int, char **);
int cmd_history(struct cli *, int, char **);
int cmd_conflicts(struct cli *, int, char **);
int cmd_stats(struct cli *, int, char **);
int cmd_guide(struct cli *, int, char **);
int cmd_import(struct cli *, int, char **);
int cmd_bundle(struct cli *, int, char **);
int cmd_network(struct cli *, int, char **);
int cmd_invite(struct cli *, int, char **);
int cmd_join(struct cli *, int, char **);
int cmd_peer(struct cli *, int, char **);
int cmd_key(struct cli *, int, char **);
int cmd_revoke(struct cli *, int, char **);
int cmd_agent(struct cli *, int, char **);

#endif /* !AGENT_CMDS_H */
