/* memfd_create(2) flags (Linux 6.1: MFD_NOEXEC_SEAL and MFD_EXEC came in
 * 6.3 and are EINVAL here, as on the kernel the sandbox reports). */
#pragma once

#define LINUX_MFD_CLOEXEC 0x0001U
#define LINUX_MFD_ALLOW_SEALING 0x0002U
#define LINUX_MFD_HUGETLB 0x0004U
