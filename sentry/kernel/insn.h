/* Just enough x86-64 instruction decoding to tell whether an instruction
 * that faulted on memory was writing it: the ptrace platform reports page
 * faults without the hardware error code, and a signal frame's REG_ERR
 * carries the write bit (programs such as garbage collectors and
 * user-space pagers read it). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* True if the instruction in code[0..len) stores to memory (including
 * read-modify-write forms, pushes and string stores). Unknown or truncated
 * instructions count as reads. */
bool insn_writes_memory(const uint8_t *code, size_t len);
