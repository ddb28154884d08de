/* Capabilities (<linux/capability.h>): capget/capset's header and data,
 * the capability numbers of Linux 6.1, and the securebits
 * (<linux/securebits.h>, PR_SET_SECUREBITS). */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* capget/capset header versions. Version 1 carries one data struct (32
 * capabilities), versions 2 and 3 carry two. The kernel spells them
 * _LINUX_CAPABILITY_VERSION_n. */
#define LINUX_CAPABILITY_VERSION_1 0x19980330
#define LINUX_CAPABILITY_VERSION_2 0x20071026
#define LINUX_CAPABILITY_VERSION_3 0x20080522
#define LINUX_CAPABILITY_U32S_1 1
#define LINUX_CAPABILITY_U32S_3 2

struct linux_cap_header {
    uint32_t version;
    int32_t pid;
};
_Static_assert(sizeof(struct linux_cap_header) == 8, "cap header");

struct linux_cap_data {
    uint32_t effective;
    uint32_t permitted;
    uint32_t inheritable;
};
_Static_assert(sizeof(struct linux_cap_data) == 12, "cap data");

#define LINUX_CAP_CHOWN 0
#define LINUX_CAP_DAC_OVERRIDE 1
#define LINUX_CAP_DAC_READ_SEARCH 2
#define LINUX_CAP_FOWNER 3
#define LINUX_CAP_FSETID 4
#define LINUX_CAP_KILL 5
#define LINUX_CAP_SETGID 6
#define LINUX_CAP_SETUID 7
#define LINUX_CAP_SETPCAP 8
#define LINUX_CAP_LINUX_IMMUTABLE 9
#define LINUX_CAP_NET_BIND_SERVICE 10
#define LINUX_CAP_NET_BROADCAST 11
#define LINUX_CAP_NET_ADMIN 12
#define LINUX_CAP_NET_RAW 13
#define LINUX_CAP_IPC_LOCK 14
#define LINUX_CAP_IPC_OWNER 15
#define LINUX_CAP_SYS_MODULE 16
#define LINUX_CAP_SYS_RAWIO 17
#define LINUX_CAP_SYS_CHROOT 18
#define LINUX_CAP_SYS_PTRACE 19
#define LINUX_CAP_SYS_PACCT 20
#define LINUX_CAP_SYS_ADMIN 21
#define LINUX_CAP_SYS_BOOT 22
#define LINUX_CAP_SYS_NICE 23
#define LINUX_CAP_SYS_RESOURCE 24
#define LINUX_CAP_SYS_TIME 25
#define LINUX_CAP_SYS_TTY_CONFIG 26
#define LINUX_CAP_MKNOD 27
#define LINUX_CAP_LEASE 28
#define LINUX_CAP_AUDIT_WRITE 29
#define LINUX_CAP_AUDIT_CONTROL 30
#define LINUX_CAP_SETFCAP 31
#define LINUX_CAP_MAC_OVERRIDE 32
#define LINUX_CAP_MAC_ADMIN 33
#define LINUX_CAP_SYSLOG 34
#define LINUX_CAP_WAKE_ALARM 35
#define LINUX_CAP_BLOCK_SUSPEND 36
#define LINUX_CAP_AUDIT_READ 37
#define LINUX_CAP_PERFMON 38
#define LINUX_CAP_BPF 39
#define LINUX_CAP_CHECKPOINT_RESTORE 40
#define LINUX_CAP_LAST_CAP 40

/* Securebits: bit n, and bit n+1 locks it. */
#define LINUX_SECURE_NOROOT 0
#define LINUX_SECURE_NOROOT_LOCKED 1
#define LINUX_SECURE_NO_SETUID_FIXUP 2
#define LINUX_SECURE_NO_SETUID_FIXUP_LOCKED 3
#define LINUX_SECURE_KEEP_CAPS 4
#define LINUX_SECURE_KEEP_CAPS_LOCKED 5
#define LINUX_SECURE_NO_CAP_AMBIENT_RAISE 6
#define LINUX_SECURE_NO_CAP_AMBIENT_RAISE_LOCKED 7
#define LINUX_SECBIT_NOROOT 0x01
#define LINUX_SECBIT_NOROOT_LOCKED 0x02
#define LINUX_SECBIT_NO_SETUID_FIXUP 0x04
#define LINUX_SECBIT_NO_SETUID_FIXUP_LOCKED 0x08
#define LINUX_SECBIT_KEEP_CAPS 0x10
#define LINUX_SECBIT_KEEP_CAPS_LOCKED 0x20
#define LINUX_SECBIT_NO_CAP_AMBIENT_RAISE 0x40
#define LINUX_SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED 0x80
#define LINUX_SECURE_ALL_BITS 0x55
#define LINUX_SECURE_ALL_LOCKS 0xaa
