/* Terminal and generic ioctls (x86_64). */
#pragma once

#include <stdint.h>

#define LINUX_TCGETS 0x5401
#define LINUX_TCSETS 0x5402
#define LINUX_TCSETSW 0x5403
#define LINUX_TCSETSF 0x5404
#define LINUX_TIOCSCTTY 0x540E
#define LINUX_TIOCGPGRP 0x540F
#define LINUX_TIOCSPGRP 0x5410
#define LINUX_TIOCGWINSZ 0x5413
#define LINUX_TIOCSWINSZ 0x5414
#define LINUX_FIONREAD 0x541B
#define LINUX_FIONBIO 0x5421
#define LINUX_FIONCLEX 0x5450
#define LINUX_FIOCLEX 0x5451
#define LINUX_FIOASYNC 0x5452

#define LINUX_NCCS 19
/* struct termios as the kernel's TCGETS fills it. */
struct linux_termios {
    uint32_t c_iflag, c_oflag, c_cflag, c_lflag;
    uint8_t c_line;
    uint8_t c_cc[LINUX_NCCS];
};
_Static_assert(sizeof(struct linux_termios) == 36, "termios");

struct linux_winsize {
    uint16_t ws_row, ws_col, ws_xpixel, ws_ypixel;
};

/* More terminal ioctls (<asm-generic/ioctls.h>), for --strace. */
#define LINUX_TCGETA 0x5405
#define LINUX_TCSETA 0x5406
#define LINUX_TCSETAW 0x5407
#define LINUX_TCSETAF 0x5408
#define LINUX_TCSBRK 0x5409
#define LINUX_TCXONC 0x540A
#define LINUX_TCFLSH 0x540B
#define LINUX_TIOCEXCL 0x540C
#define LINUX_TIOCNXCL 0x540D
#define LINUX_TIOCOUTQ 0x5411
#define LINUX_TIOCSTI 0x5412
#define LINUX_TIOCMGET 0x5415
#define LINUX_TIOCMBIS 0x5416
#define LINUX_TIOCMBIC 0x5417
#define LINUX_TIOCMSET 0x5418
#define LINUX_TIOCGSOFTCAR 0x5419
#define LINUX_TIOCSSOFTCAR 0x541A
#define LINUX_TIOCINQ LINUX_FIONREAD
#define LINUX_TIOCLINUX 0x541C
#define LINUX_TIOCCONS 0x541D
#define LINUX_TIOCPKT 0x5420
#define LINUX_TIOCNOTTY 0x5422
#define LINUX_TIOCSETD 0x5423
#define LINUX_TIOCGETD 0x5424
#define LINUX_TCSBRKP 0x5425
#define LINUX_TIOCSBRK 0x5427
#define LINUX_TIOCCBRK 0x5428
#define LINUX_TIOCGSID 0x5429
#define LINUX_TCGETS2 0x802C542A   /* _IOR('T', 0x2A, struct termios2) */
#define LINUX_TCSETS2 0x402C542B   /* _IOW('T', 0x2B, struct termios2) */
#define LINUX_TCSETSW2 0x402C542C
#define LINUX_TCSETSF2 0x402C542D
#define LINUX_TIOCGPTN 0x80045430  /* _IOR('T', 0x30, unsigned int) */
#define LINUX_TIOCSPTLCK 0x40045431 /* _IOW('T', 0x31, int) */
#define LINUX_TIOCGDEV 0x80045432
#define LINUX_TIOCSIG 0x40045436
#define LINUX_TIOCVHANGUP 0x5437
#define LINUX_TIOCGPKT 0x80045438
#define LINUX_TIOCGPTLCK 0x80045439
#define LINUX_TIOCGEXCL 0x80045440
#define LINUX_TIOCGPTPEER 0x5441
#define LINUX_FIOQSIZE 0x5460

/* The _IOC encoding of ioctl request numbers. */
#define LINUX_IOC_NRBITS 8
#define LINUX_IOC_TYPEBITS 8
#define LINUX_IOC_SIZEBITS 14
#define LINUX_IOC_NRSHIFT 0
#define LINUX_IOC_TYPESHIFT 8
#define LINUX_IOC_SIZESHIFT 16
#define LINUX_IOC_DIRSHIFT 30
#define LINUX_IOC_NONE 0U
#define LINUX_IOC_WRITE 1U
#define LINUX_IOC_READ 2U
