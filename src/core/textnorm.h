/* textnorm: what interviewd makes of candidate text before a model or a check reads it.
 *
 * Two views of one text. The *model view* (textnorm_clean) is what a model is sent:
 * invisible characters (zero-width, bidi controls, tags, variation selectors, C0/C1
 * controls) removed, compatibility forms that exist to disguise text mapped as NFKC
 * maps them (fullwidth ASCII, mathematical alphanumerics, letterlike symbols, circled
 * letters, ligatures, super/subscript digits, exotic spaces), and Cyrillic, Greek and
 * Armenian look-alikes folded to Latin inside a word that also has Latin letters
 * ("іgnore" with a Cyrillic i), the mixed-script rule of Unicode TR39. A word wholly in
 * another script is kept: Russian stays Russian. People are always shown the original.
 *
 * The *check view* (textnorm_fold) goes further, for pattern matching only: lowercase,
 * accents and combining marks stripped ("précédentes" -> "precedentes"), every
 * look-alike folded whatever the script around it (so "ѕуѕтем" reads "system"), small
 * capitals and IPA look-alikes folded. It is never shown or sent anywhere.
 *
 * Not full NFKC: the ranges above are the ones used to disguise Latin text; CJK and
 * Hangul compatibility forms pass through unchanged, which no check here depends on. */
#ifndef CORE_TEXTNORM_H
#define CORE_TEXTNORM_H

/* The model view of s (caller frees). Invalid UTF-8 bytes are dropped. Never NULL. */
char *textnorm_clean(const char *s);
/* The check view of s (caller frees). Never NULL. */
char *textnorm_fold(const char *s);

#endif
