/* ravel classic corpus: reorder_50: reorder.c with NUM_THREADS 50 (see its header). */
#define NUM_THREADS 50
#include "reorder.c"
