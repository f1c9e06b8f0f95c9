/* ravel classic corpus: reorder_50_fixed: reorder_fixed.c with NUM_THREADS 50 (see its header). */
#define NUM_THREADS 50
#include "reorder_fixed.c"
