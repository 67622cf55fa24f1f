// SCOPEGATE_EXPORT marks the declarations the scopegate libraries export. The engine and
// the dsl are built with hidden visibility (and a linker version script that keeps only
// scopegate:: symbols), so a shared libscopegate_engine.so or libscopegate_dsl.so shows
// its public API and nothing else; in a static build the mark changes nothing.
#pragma once

#if defined(__GNUC__) || defined(__clang__)
#define SCOPEGATE_EXPORT __attribute__((visibility("default")))
#else
#define SCOPEGATE_EXPORT
#endif
