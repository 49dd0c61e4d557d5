/* empty.c - a shared object that defines none of the plugin functions. */
int not_a_plugin(int x)
{
    return x + 1;
}
