/* ravel classic corpus: reorder_100_fixed: reorder_fixed.c with NUM_THREADS 100 (see its header). */
#define NUM_THREADS 100
#include "reorder_fixed.c"
