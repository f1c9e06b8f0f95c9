/* ravel classic corpus: two_stage_100: two_stage.c with NUM_THREADS 100 (see its header). */
#define NUM_THREADS 100
#include "two_stage.c"
