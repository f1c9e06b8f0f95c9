/* ravel classic corpus: two_stage_50: two_stage.c with NUM_THREADS 50 (see its header). */
#define NUM_THREADS 50
#include "two_stage.c"
