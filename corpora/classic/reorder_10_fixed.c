/* ravel classic corpus: reorder_10_fixed: reorder_fixed.c with NUM_THREADS 10 (see its header). */
#define NUM_THREADS 10
#include "reorder_fixed.c"
