/* futex(2) operations and flags, FUTEX_WAKE_OP's encoding, and the robust
 * futex list (set_robust_list). */
#pragma once

#include <stdint.h>

#define LINUX_FUTEX_WAIT 0
#define LINUX_FUTEX_WAKE 1
#define LINUX_FUTEX_FD 2
#define LINUX_FUTEX_REQUEUE 3
#define LINUX_FUTEX_CMP_REQUEUE 4
#define LINUX_FUTEX_WAKE_OP 5
#define LINUX_FUTEX_LOCK_PI 6
#define LINUX_FUTEX_UNLOCK_PI 7
#define LINUX_FUTEX_TRYLOCK_PI 8
#define LINUX_FUTEX_WAIT_BITSET 9
#define LINUX_FUTEX_WAKE_BITSET 10
#define LINUX_FUTEX_WAIT_REQUEUE_PI 11
#define LINUX_FUTEX_CMP_REQUEUE_PI 12
#define LINUX_FUTEX_LOCK_PI2 13

#define LINUX_FUTEX_PRIVATE_FLAG 128
#define LINUX_FUTEX_CLOCK_REALTIME 256
#define LINUX_FUTEX_CMD_MASK (~(LINUX_FUTEX_PRIVATE_FLAG | LINUX_FUTEX_CLOCK_REALTIME))

#define LINUX_FUTEX_BITSET_MATCH_ANY 0xffffffff

/* FUTEX_WAKE_OP's val3: op (bits 28-31, with OPARG_SHIFT as bit 31), cmp
 * (24-27), oparg (12-23) and cmparg (0-11), both signed 12-bit. */
#define LINUX_FUTEX_OP_SET 0
#define LINUX_FUTEX_OP_ADD 1
#define LINUX_FUTEX_OP_OR 2
#define LINUX_FUTEX_OP_ANDN 3
#define LINUX_FUTEX_OP_XOR 4
#define LINUX_FUTEX_OP_OPARG_SHIFT 8
#define LINUX_FUTEX_OP_CMP_EQ 0
#define LINUX_FUTEX_OP_CMP_NE 1
#define LINUX_FUTEX_OP_CMP_LT 2
#define LINUX_FUTEX_OP_CMP_LE 3
#define LINUX_FUTEX_OP_CMP_GT 4
#define LINUX_FUTEX_OP_CMP_GE 5

/* A robust futex word: the owner's tid and two flags. */
#define LINUX_FUTEX_WAITERS 0x80000000u
#define LINUX_FUTEX_OWNER_DIED 0x40000000u
#define LINUX_FUTEX_TID_MASK 0x3fffffffu
/* At most this many entries of a robust list are walked at exit. */
#define LINUX_ROBUST_LIST_LIMIT 2048

/* struct robust_list_head: the list (a circular list of application
 * addresses, bit 0 of each link flags a PI futex), the offset from an
 * entry to its futex word, and the entry being added or removed. */
struct linux_robust_list_head {
    uint64_t next;
    int64_t futex_offset;
    uint64_t list_op_pending;
};
_Static_assert(sizeof(struct linux_robust_list_head) == 24, "robust_list_head");
