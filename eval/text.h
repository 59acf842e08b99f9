/*
 * eval/text.h - the tokens of an evaluation or calibration text (eval ppl / kld, imatrix): the
 * whole text, or only as much of it as a run needs (--chunks), read and tokenized as a prefix so
 * that a large or compressed file costs memory in proportion to what is used, not to its size.
 *
 * A prefix is cut after its last newline (or, in a text without one, before its last space) and
 * tokenized; the tokens a run needs are taken only when two prefixes, one twice the other, agree
 * on all of them. Tokenizers are local (a pre-token never spans a newline; SentencePiece pieces do
 * not span a word boundary), so these are the whole text's tokens; the check makes it so rather
 * than assuming it. A prefix of 64 MiB with no newline and no space is not a text: refused (a .gz of
 * zeros costs 64 MiB, not the 4 GiB cap). Memory: about 3 x 8 bytes per needed token of text (64 KiB at least), plus the
 * tokenizer's working memory for it.
 */
#ifndef EL_EVAL_TEXT_H
#define EL_EVAL_TEXT_H

#include <stddef.h>

#include "core/error.h"
#include "engine/tokenizer/tokenizer.h"

/* The tokens of spec (a dataset spec: plain, .gz or ARCHIVE:MEMBER) with special tokens added; with
 * need > 0, at most its first need tokens (fewer only when the whole text has fewer). */
int el_text_tokens(const el_tokenizer *tok, const char *spec, size_t need, el_tokens *out, el_error *err);

#endif
